"""`python -m resurgence` runs the command line."""

from resurgence.cli import app

app()
