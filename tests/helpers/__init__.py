"""Test-only code the test modules share (importable as `helpers`: pyproject.toml puts
tests/ on pytest's path)."""
