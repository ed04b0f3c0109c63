"""The Jinja2 environment of the workbench pages: where the templates are, the filters, the chart-data JSON.

The filters are the shared formatters of ``finecrm.core.formats`` (the same text as exports and CLI tables), in
the page's workspace settings: ``money`` (in ``bank.currency``: ¥12.3万, CZK 12.3万), ``money_scale`` (one unit
for a column of amounts), ``number`` (a count), ``pct`` (a share as 20%), ``day`` (a business date or time),
``moment`` (a time the product recorded, in ``bank.timezone`` to the minute), ``month`` (2026年9月) and ``built`` (a snapshot's build time from its id). The global ``named(kind, code)`` shows
a branch, staff member, grid or product by its name with the code on hover (``services.names``); ``explain(code)``
the ⓘ with a term's definition (``services.definitions``).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Undefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from finecrm.core import formats
from finecrm.services.definitions import definitions
from finecrm.services.names import load_names

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def json_default(value: Any) -> Any:
    """Dates, decimals and the like in embedded chart data: as ISO text / numbers."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "__float__"):
        return float(value)
    return str(value)


def _bank(context: Context) -> Any:
    """The page's ``bank`` settings (a page rendered without a workspace: None)."""
    ws = getattr(getattr(context.get("ctx"), "state", None), "ws", None)
    return ws.settings.bank if ws is not None else None


@pass_context
def money(context: Context, value: Any, lang: str = "zh") -> str:
    """``formats.money`` in the currency of the page's workspace (a page rendered without one: no unit)."""
    bank = _bank(context)
    return formats.money(value, lang, bank.currency if bank is not None else None)


@pass_context
def money_scale(context: Context, values: Any, lang: str = "zh") -> formats.MoneyScale:
    """The one unit of a column of amounts (``{% set s = rows | map(attribute="aum") | money_scale(lang) %}``,
    then ``s.label`` in the header and ``s.cell(v, lang)`` in each cell)."""
    bank = _bank(context)
    known = [v for v in values if not isinstance(v, Undefined)]  # a column the rows do not have
    return formats.money_scale(known, lang, bank.currency if bank is not None else "CNY")


@pass_context
def day(context: Context, value: Any) -> str:
    """``formats.day``: a business date or time (a time with a zone in the bank's time zone)."""
    bank = _bank(context)
    return formats.day(value, bank.timezone if bank is not None else None)


@pass_context
def moment(context: Context, value: Any) -> str:
    """``formats.moment``: a moment the product recorded (UTC in the database) in the bank's time zone."""
    bank = _bank(context)
    return formats.moment(value, bank.timezone if bank is not None else None)


#: A recorded moment inside an audit event's details (locked_until, proposed_at …), as isoformat() writes it.
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")


@pass_context
def audit_details(context: Context, details: Any) -> Any:
    """An audit event's details with each recorded moment in the bank's time, to the minute, like the
    event's own time beside it (the database keeps them as UTC isoformat strings)."""
    if isinstance(details, dict):
        return {k: audit_details(context, v) for k, v in details.items()}
    if isinstance(details, list):
        return [audit_details(context, v) for v in details]
    if isinstance(details, str) and _ISO_MOMENT.fullmatch(details):
        return moment(context, details)
    return details


def code_spans(text: Any) -> Markup:
    """A help text with its `code` in backticks: the text escaped, each backticked part as <code>."""
    parts = str(text or "").split("`")
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else Markup("{}").format(p)
                           for i, p in enumerate(parts))


@pass_context
def printed_at(context: Context) -> str:
    """Now, in the bank's time zone: the time a printed page says it was printed."""
    return moment(context, datetime.now(UTC))


@pass_context
def built(context: Context, build_id: Any) -> str:
    """A snapshot as staff read it: its build time in the bank's time zone (its id when of another form)."""
    at = formats.build_time(str(build_id)) if build_id else None
    return moment(context, at) if at is not None else (str(build_id) if build_id else formats.MISSING)


@pass_context
def named(context: Context, kind: str, code: Any) -> Markup:
    """A branch, staff member, grid or product by name, its code in the title (hover) and ``data-code``; the
    code itself where the warehouse has no name for it; "—" for none."""
    if code is None or code == "":
        return Markup(formats.MISSING)
    ws = getattr(getattr(context.get("ctx"), "state", None), "ws", None)
    name = load_names(ws).of(kind, code) if ws is not None else None
    if name is None:
        return Markup('<span class="code" data-code="{0}">{0}</span>').format(code)
    return Markup('<span class="named" title="{0}" data-code="{0}">{1}</span>').format(code, name)


#: Columns whose values are codes with a label in the catalogs (``<prefix>.<code>``).
_LABELLED = {"lifecycle": "lifecycle", "segment": "behaviour", "kind": "kind", "gender": "gender"}
#: Columns named by the warehouse's names (branch, staff, grid, product).
_NAMED = {"branch_id": "branch", "manager_id": "staff", "staff_id": "staff", "grid_id": "grid",
          "product_code": "product"}


@pass_context
def value_label(context: Context, column: str, value: Any) -> str:
    """A value as plain text in the page's language: a code by its label, a branch (staff, grid, product) by
    its name, anything else as it is — for table cells and chart categories alike."""
    if value is None or value == "":
        return formats.MISSING
    if column in _LABELLED:
        key = f"{_LABELLED[column]}.{value}"
        text = context["t"](key)
        return str(value) if text == key else str(text)
    if column in _NAMED:
        ws = getattr(getattr(context.get("ctx"), "state", None), "ws", None)
        name = load_names(ws).of(_NAMED[column], value) if ws is not None else None
        return str(name) if name is not None else str(value)
    return str(value)


@pass_context
def name_options(context: Context, kind: str) -> list[tuple[str, str]]:
    """``(code, name)`` of every branch (staff member, grid, product) by name: a form's choices."""
    ws = getattr(getattr(context.get("ctx"), "state", None), "ws", None)
    return load_names(ws).options(kind) if ws is not None else []


@pass_context
def explain(context: Context, code: str) -> Markup:
    """The ⓘ beside a metric or term: its definition one click away (services.definitions), in the page's
    language; nothing for a term without one."""
    ws = getattr(getattr(context.get("ctx"), "state", None), "ws", None)
    found = definitions(ws.settings).get(code) if ws is not None else None
    if found is None:
        return Markup("")
    text = found["en"] if context.get("lang") == "en" else found["zh"]
    title = context["t"]("metric.definition") if "t" in context else ""
    return Markup('<details class="definition" data-testid="def-{0}"><summary title="{1}">ⓘ</summary>'
                  "<p>{2}</p></details>").format(code, title, text)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.filters["money"] = money
    env.filters["money_scale"] = money_scale
    env.filters["number"] = formats.number
    env.filters["pct"] = formats.pct
    env.filters["day"] = day
    env.filters["moment"] = moment
    env.filters["month"] = formats.month
    env.filters["built"] = built
    env.filters["in_language"] = formats.in_language
    env.filters["code_spans"] = code_spans
    env.filters["audit_details"] = audit_details
    env.globals["named"] = named
    env.globals["name_options"] = name_options
    env.globals["value_label"] = value_label
    env.globals["explain"] = explain
    env.globals["printed_at"] = printed_at
    env.globals["asset_version"] = os.environ.get("FINECRM_ASSET_VERSION", "1")
    env.policies["json.dumps_kwargs"] = {"default": json_default, "sort_keys": False}
    return templates
