"""CLI commands of the analysis verbs, each in its own module, registered in `cli.py`."""
