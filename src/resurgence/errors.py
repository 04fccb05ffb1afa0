"""The one exception a user's input can cause.

Everything a user can get wrong (a scenario, a policy, a command-line option) ends in a
`ResurgenceError` whose message names the file, the place and what is expected. The CLI
prints it and exits with code 2; it never shows a traceback.
"""


class ResurgenceError(Exception):
    """An error caused by the user's input, with a message meant to be read by that user."""
