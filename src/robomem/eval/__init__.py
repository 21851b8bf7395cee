"""Evaluation of memory + queries against ground truth: query sets generated from a ground-truth house
(``queryset``), scoring of answers (``scoring``), over a small ground-truth protocol (``groundtruth``)
that the simulator implements."""
