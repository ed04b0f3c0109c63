"""Message catalogs: every string the workbench shows, in Chinese (default) and English.

``zh.json`` and ``en.json`` map the same keys to text; templates call ``t("nav.dashboard")`` (with ``{name}``
placeholders filled from keyword arguments). A test checks that both catalogs have the same keys and
that every key used in a template or route exists, so a missing translation fails CI, not a user.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_DIR = Path(__file__).resolve().parent


@cache
def catalog(lang: str) -> Mapping[str, str]:
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    data: dict[str, str] = json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def translator(lang: str) -> Callable[..., str]:
    messages = catalog(lang)
    fallback = catalog(DEFAULT_LANGUAGE)

    def t(key: str, **values: Any) -> str:
        text = messages.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t


def pick_language(cookie: str | None, accept: str | None) -> str:
    """The cookie's choice, else Chinese (the product's default) — the browser's language only when it
    asks for English and nothing else."""
    if cookie in LANGUAGES:
        return cookie
    if accept and accept.lower().startswith("en") and "zh" not in accept.lower():
        return "en"
    return DEFAULT_LANGUAGE
