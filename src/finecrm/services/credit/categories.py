"""The five loan categories (五级分类) as the use cases speak of them: the engine's codes and labels, and which
way a change goes."""

from __future__ import annotations

from finecrm.engine.classification import CATEGORIES as _ENGINE
from finecrm.engine.classification import NPL

#: code → (中文, English), from the least to the most severe (the engine's rule and labels).
CATEGORIES: dict[str, tuple[str, str]] = {code: (zh, en) for code, zh, en in _ENGINE}
NON_PERFORMING = NPL
MORE_SEVERE, LESS_SEVERE = "more_severe", "less_severe"


def severity(category: str) -> int:
    """0 for 正常 … 4 for 损失; an unknown code is a programming error."""
    return list(CATEGORIES).index(category)


def direction(from_category: str, to_category: str) -> str | None:
    """more_severe, less_severe, or None for no change."""
    a, b = severity(from_category), severity(to_category)
    return None if a == b else (MORE_SEVERE if b > a else LESS_SEVERE)
