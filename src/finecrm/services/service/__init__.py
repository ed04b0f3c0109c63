"""Service quality (服务质量): complaints and requests handled to a deadline in working days, escalated when overdue,
closed on the customer's acceptance or reopened by an appeal (docs/service.md).

What other areas may use is exported here (they import this package, never its modules).
"""

from finecrm.services.service.complaints import (
    STATUSES,
    ComplaintError,
    categories,
    escalate_overdue,
    of_customer,
)

__all__ = ["STATUSES", "ComplaintError", "categories", "escalate_overdue", "of_customer"]
