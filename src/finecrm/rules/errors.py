"""The one error a user-written rule can raise.

Analysts read these messages in the web app, so each says what is not allowed, where in the rule it
is, and what to write instead; the Chinese comes first, then the English.
"""

from __future__ import annotations

import unicodedata

from finecrm.core.errors import FinecrmError


class RuleError(FinecrmError):
    """A rule was refused. ``str(error)`` is the full message for the analyst.

    ``position`` is the 1-based character in the rule's text where the problem starts, when known;
    ``fragment`` is the offending piece as written (or as re-rendered), when known. With ``source`` (the rule
    as the user typed it) and a position, the message ends with the rule and a caret line under the
    offending word (``length`` characters; the first line of the message stays one line).
    """

    def __init__(
        self,
        message: str,
        *,
        fragment: str | None = None,
        position: int | None = None,
        hint: str | None = None,
        source: str | None = None,
        length: int | None = None,
    ) -> None:
        self.message = message
        self.fragment = fragment
        self.position = position
        self.hint = hint
        self.source = source
        self.length = length
        parts = [message]
        if fragment:
            parts.append(f": {_shorten(fragment)}")
        if position is not None:
            parts.append(f" (第 {position} 个字符 / at character {position})")
        if hint:
            parts.append(f". {hint}")
        self.line = "".join(parts)
        if source is not None and position is not None:
            parts.append("\n" + caret_block(source, position, length or 1))
        super().__init__("".join(parts))

    def located(self, source: str, position: int | None, length: int | None = None) -> RuleError:
        """The same refusal placed in ``source`` (the text as typed) at ``position``, with the caret line."""
        return RuleError(self.message, fragment=self.fragment, position=position, hint=self.hint, source=source,
                         length=length if length is not None else self.length)


def caret_block(source: str, position: int, length: int = 1) -> str:
    """The line of ``source`` holding ``position`` (1-based) and a line of ^ under ``length`` characters.

    A wide character (Chinese, full-width) takes two columns in a monospaced font, so it is matched by two
    spaces or two carets; tabs stay tabs. Long lines are cut around the position."""
    start = source.rfind("\n", 0, position - 1) + 1
    end = source.find("\n", position - 1)
    line = source[start: end if end >= 0 else len(source)]
    col = position - 1 - start
    if len(line) > 100:  # keep the window around the word
        cut = max(0, col - 40)
        line, col = ("…" if cut else "") + line[cut: cut + 100], col - cut + (1 if cut else 0)
    pad = "".join("\t" if ch == "\t" else " " * _width(ch) for ch in line[:col])
    marks = "^" * max(1, sum(_width(ch) for ch in line[col: col + max(1, length)]))
    return f"  {line}\n  {pad}{marks}"


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _shorten(fragment: str, limit: int = 80) -> str:
    one_line = " ".join(fragment.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
