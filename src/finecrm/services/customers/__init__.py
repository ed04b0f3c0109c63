"""Customers: the 360 view, search, the dashboard and the segment explorer.

What other areas may use is exported here (they import this package, never its modules): the columns a
user-written rule may name, and revealing a customer's personal data (one path, so that scope and audit are
decided in one place: a call from a campaign task reveals through it).
"""

from finecrm.services.customers.columns import (
    PII_COLUMNS,
    customer_360_columns,
    propensity_columns,
    rule_column_labels,
    rule_columns,
    rule_labels,
    rule_table,
)
from finecrm.services.customers.profile import RevealError, reveal

__all__ = ["PII_COLUMNS", "RevealError", "customer_360_columns", "propensity_columns", "reveal", "rule_column_labels",
           "rule_columns", "rule_labels", "rule_table"]
