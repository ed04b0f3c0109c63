"""Collections (贷款催收): the queue of overdue loans by priority, their assignment to collectors, contacts with
debtors, promises to pay checked against repayments, letters rendered from templates, and the oversight of it all.

``assignment`` is what a collector's scope is made of (``assigned_loans``), read by ``services.access.principals``
for the web and the CLI alike.
"""

from finecrm.services.collections.assignment import QUEUE, AssignmentError, assign, assigned_loans, collectors

__all__ = ["QUEUE", "AssignmentError", "assign", "assigned_loans", "collectors"]
