"""Full-width operators and Chinese quotes, read as what they mean before a rule is parsed.

A rule typed with a Chinese input method often carries full-width characters: ``age ＞ 30``, ``tier ＝ “贵宾”``,
``（a OR b）``, ``≥``. They have one meaning each, so they are replaced by their ASCII forms, silently, outside
quoted text: a value in ASCII quotes (``branch_name = '城关（一）'``) and a quoted column name are kept as typed.
Chinese quotes (“…” and ‘…’) become a value in single quotes. ``normalize`` also returns, for every character
of the result, the character of the original text it came from, so an error still points at what the user
typed.
"""

from __future__ import annotations

#: One character → its ASCII form (several for ≤ ≥ ≠). Full-width digits and letters are mapped too.
FULL_WIDTH: dict[str, str] = {
    "＜": "<", "＞": ">", "＝": "=", "≤": "<=", "≦": "<=", "≥": ">=", "≧": ">=", "≠": "<>", "！": "!",
    "（": "(", "）": ")", "，": ",", "、": ",", "＋": "+", "－": "-", "＊": "*", "／": "/", "．": ".", "；": ";",
    "　": " ", "＇": "'", "＂": '"', "＿": "_", "％": "%",
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
}
#: Chinese opening quote → its closing quote.
CHINESE_QUOTES = {"“": "”", "‘": "’"}


def normalize(text: str) -> tuple[str, list[int]]:
    """``(rule in ASCII operators, origin)``: ``origin[i]`` is the index in ``text`` of the result's ``i``-th
    character (with one more entry, ``len(text)``, for the end)."""
    out: list[str] = []
    origin: list[int] = []

    def emit(chunk: str, at: int) -> None:
        out.append(chunk)
        origin.extend([at] * len(chunk))

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"'):  # ASCII-quoted value or name: kept verbatim ('' and "" escape the quote)
            j = i + 1
            while j < n:
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            for k in range(i, min(j + 1, n)):
                emit(text[k], k)
            i = j + 1
        elif ch in CHINESE_QUOTES and text.find(CHINESE_QUOTES[ch], i + 1) > 0:
            close = text.find(CHINESE_QUOTES[ch], i + 1)
            emit("'", i)
            for k in range(i + 1, close):
                emit("''" if text[k] == "'" else text[k], k)
            emit("'", close)
            i = close + 1
        else:
            emit(FULL_WIDTH.get(ch, ch), i)
            i += 1
    origin.append(n)
    return "".join(out), origin
