"""The Jinja2 environment of the workbench pages: where the templates are, the filters, the chart-data JSON.

The filters are the shared formatters of ``finecrm.core.formats`` (the same text as exports and CLI tables):
``money`` (yuan, 万/亿 in Chinese), ``number`` (a count), ``pct`` (a share as a percentage), ``day`` (a date).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

from finecrm.core import formats

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def json_default(value: Any) -> Any:
    """Dates, decimals and the like in embedded chart data: as ISO text / numbers."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "__float__"):
        return float(value)
    return str(value)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.filters["money"] = formats.money
    env.filters["number"] = formats.number
    env.filters["pct"] = formats.pct
    env.filters["day"] = formats.day
    env.globals["asset_version"] = os.environ.get("FINECRM_ASSET_VERSION", "1")
    env.policies["json.dumps_kwargs"] = {"default": json_default, "sort_keys": False}
    return templates
