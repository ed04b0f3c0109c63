"""Customers: the 360 view, search, the dashboard and the segment explorer.

What other areas may use is exported here (they import this package, never its modules): the columns a
user-written rule may name.
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

__all__ = ["PII_COLUMNS", "customer_360_columns", "propensity_columns", "rule_column_labels", "rule_columns",
           "rule_labels", "rule_table"]
