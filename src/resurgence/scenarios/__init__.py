"""Scenarios: the TOML language, its validation, and the builtin scenarios."""

from resurgence.scenarios.load import builtin_scenarios, load_policy, load_scenario, policy_names
from resurgence.scenarios.schema import Scenario

__all__ = ["Scenario", "builtin_scenarios", "load_policy", "load_scenario", "policy_names"]
