"""Analyses of an ensemble: resurgence probability and summaries."""
