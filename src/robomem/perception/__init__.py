"""Perception: frames -> detections (segmenters, encoders, lifting masks to world point clouds)."""
