"""Marketing: audiences, campaigns (draw, assignment, tasks, conversions, evaluation) and propensity models.

What other areas may use is exported here (they import this package, never its modules): the build's
scoring hook. It is loaded on first use, so that importing a marketing module does not load the models.
"""

from __future__ import annotations

from typing import Any

__all__ = ["scoring_hook"]


def __getattr__(name: str) -> Any:
    if name == "scoring_hook":
        from finecrm.services.marketing.propensity import scoring_hook

        return scoring_hook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
