"""Limits that several layers must agree on, kept in one place so that none of them can drift.

A rule (a segment explorer rule, an audience, a custom segment in ``finecrm.yaml``) longer than
``RULE_MAX_LENGTH`` is refused everywhere with the same message; it is never cut, because a cut rule
selects other customers than the one written.
"""

from __future__ import annotations

#: The longest rule text, in characters. No real segment rule needs more, and it bounds the work a
#: hostile input can cause the parser.
RULE_MAX_LENGTH = 4000
