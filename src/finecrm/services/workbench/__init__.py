"""Workbench (客户经理工作台): the record of contacts with customers and the history the 360 shows.

What other areas may use is exported here (they import this package, never its modules): recording a
contact, which a campaign task's outcome does; the visit plan's status rule, which the KPIs' visit completion
uses.
"""

from finecrm.services.workbench.contacts import contact_history, record_contact
from finecrm.services.workbench.plan import VISIT_KINDS, start_of, status_of

__all__ = ["VISIT_KINDS", "contact_history", "record_contact", "start_of", "status_of"]
