"""`resurgence explore`: a local what-if page for a scenario's levers (see `app`)."""
