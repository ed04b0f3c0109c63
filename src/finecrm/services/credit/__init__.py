"""Credit (信用评级): scorecards — training on a table, the card registry, batch scoring and export.

Other areas use what is exported here (nothing yet: the rating of the bank's own loans will come with the
loan marts).
"""

from __future__ import annotations

__all__: list[str] = []
