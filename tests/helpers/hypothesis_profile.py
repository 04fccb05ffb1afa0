"""Whether the suite runs under the Hypothesis profile `ci` (tests/conftest.py), which
.ci/run selects: the reliability tests then do their full count (more examples, more kills,
more catalog writes), beyond what the `default` profile's quick run does."""

from __future__ import annotations

import os

CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
