"""Workbench (客户经理工作台): the record of contacts with customers and the history the 360 shows.

What other areas may use is exported here (they import this package, never its modules): recording a
contact, which a campaign task's outcome does.
"""

from finecrm.services.workbench.contacts import contact_history, record_contact

__all__ = ["contact_history", "record_contact"]
