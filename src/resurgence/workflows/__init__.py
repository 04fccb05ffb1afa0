"""The workflows behind the Python API and the commands: each turns settings into a result."""
