"""Calibration: fit a scenario's free parameters to evidence by simulation-based
inference (ABC-SMC with ELFI); see docs/calibration.md."""
