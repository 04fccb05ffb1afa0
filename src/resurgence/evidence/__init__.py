"""Evidence: published figures and event data as observations of the model.

An evidence file is a CSV with one figure per row: the months it covers, where, of whom,
which measure, and the value or range printed (see `columns.py` and docs/calibration.md).
"""
