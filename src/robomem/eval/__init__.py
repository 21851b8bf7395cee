"""Evaluations that score robomem against ground truth (simulator houses, annotated real data)."""
