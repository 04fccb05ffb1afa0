"""Bounds of the model's quantities, shared by the scenario schema and the processes, so
that no level or count can overflow the types the outputs are stored in."""

MAX_LEVEL = 1e9  # bound of unbounded levels (treasury in USD thousand, pressures, deaths)
MAX_MEMBERS = 10_000_000  # members of one group or faction in one region
