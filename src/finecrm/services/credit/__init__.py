"""Credit (信用评级与五级分类): scorecards — training on a table, the card registry, batch scoring and export —
and the loan book's five-category classification with its changes, made by two people where they lower risk.
"""

from finecrm.services.credit.categories import CATEGORIES, NON_PERFORMING, severity
from finecrm.services.credit.overrides import OverrideError, overrides_for_build

__all__ = ["CATEGORIES", "NON_PERFORMING", "OverrideError", "overrides_for_build", "severity"]
