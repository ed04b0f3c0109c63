"""The credit area's use cases: five-category classification and its changes (maker-checker)."""

from finecrm.services.credit.categories import CATEGORIES, NON_PERFORMING, severity
from finecrm.services.credit.overrides import OverrideError, overrides_for_build

__all__ = ["CATEGORIES", "NON_PERFORMING", "OverrideError", "overrides_for_build", "severity"]
