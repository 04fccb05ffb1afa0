"""The model's mechanisms, one module each (their order is in `resurgence.catalogue`)."""
