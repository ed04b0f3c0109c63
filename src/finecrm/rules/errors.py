"""The one error a user-written rule can raise.

Analysts read these messages in the web app, so each says what is not allowed, where in the rule it
is, and what to write instead; the Chinese comes first, then the English.
"""

from __future__ import annotations

from finecrm.core.errors import FinecrmError


class RuleError(FinecrmError):
    """A rule was refused. ``str(error)`` is the full message for the analyst.

    ``position`` is the 1-based character in the rule's text where the problem starts, when known;
    ``fragment`` is the offending piece as written (or as re-rendered), when known.
    """

    def __init__(
        self,
        message: str,
        *,
        fragment: str | None = None,
        position: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.fragment = fragment
        self.position = position
        self.hint = hint
        parts = [message]
        if fragment:
            parts.append(f": {_shorten(fragment)}")
        if position is not None:
            parts.append(f" (第 {position} 个字符 / at character {position})")
        if hint:
            parts.append(f". {hint}")
        super().__init__("".join(parts))


def _shorten(fragment: str, limit: int = 80) -> str:
    one_line = " ".join(fragment.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
