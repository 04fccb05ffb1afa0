"""The engine: compile a scenario into arrays, step a month, run replicas in chunks."""
