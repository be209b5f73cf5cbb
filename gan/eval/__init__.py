"""Evaluation: image sets and their metrics, the published grids, and the comparison of a run's
images with real ones (`python compare.py`)."""
