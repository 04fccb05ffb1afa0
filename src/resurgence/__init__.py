"""resurgence: simulate, measure and forecast how an armed group survives a host state's
counter-terrorism campaign."""

__version__ = "0.1.0"
