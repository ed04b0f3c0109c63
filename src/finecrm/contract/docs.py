"""Rendering the contract as Markdown (docs/data-contract.md) and as plain data (``--json``)."""

from __future__ import annotations

from typing import Any

from finecrm.contract.tables import TABLES
from finecrm.contract.types import Table

HEADER = """\
# Data contract / 数据契约

<!-- Generated from src/finecrm/contract/tables.py by `finecrm contract docs`; a test fails when
     this file and the code drift. Edit the code, then regenerate. -->

Every bank export is mapped into these tables (see `docs/ingest.md` and `docs/examples/berka/` for a
mapping). Conventions:

- **Money** is decimal yuan with two places (`DECIMAL(18,2)`); rates are fractions (`0.0435`).
- **Dates** are ISO (`2026-09-30`); `month` columns hold the first day of the month (`2026-09` is
  accepted on input); times are `2026-09-30 14:05:09`.
- **Booleans** accept `true/false`, `1/0`, `Y/N`, `是/否`.
- **Codes** are the lower-case English codes listed below (Chinese labels for reading).
- Every table has a **key**; a second row with the same key is quarantined (the first is kept).
- A **reference** (`→ table.column`) must point at an accepted row of that table (from the same
  ingest or stored earlier). A reference to a table that was never provided is not checked.
- Tables with a **period** are stored by month: an ingest replaces exactly the months in its input.
  Other tables are merged by key.
- *Required tables* are what the analytics need at a minimum; the others enrich them.
"""


def _bounds(col: Any) -> str:
    parts = []
    if col.min is not None:
        parts.append(f"≥ {col.min}")
    if col.max is not None:
        parts.append(f"≤ {col.max}")
    return " ".join(parts)


def render_table(t: Table) -> str:
    lines = [f"## `{t.name}`", "", t.doc, ""]
    lines.append(f"- key: `{', '.join(t.key)}`")
    lines.append(f"- required table: {'yes' if t.required else 'no'}")
    lines.append(f"- storage: {'monthly by `' + t.period + '`' if t.period else 'merged by key'}")
    lines.append("")
    lines.append("| column | type | required | codes / reference / range | meaning |")
    lines.append("|---|---|---|---|---|")
    for c in t.columns:
        if c.enum:
            extra = ", ".join(f"`{code}` {label}" for code, label in c.enum)
        elif c.ref:
            extra = f"→ `{c.ref}`"
        else:
            extra = _bounds(c)
        lines.append(f"| `{c.name}` | {c.type.value} | {'yes' if c.required else ''} | {extra} | {c.doc} |")
    if t.checks:
        lines.append("")
        lines.append("Row checks:")
        lines.append("")
        for chk in t.checks:
            lines.append(f"- `{chk.code}`: `{chk.condition}` ({chk.message})")
    lines.append("")
    return "\n".join(lines)


def render() -> str:
    body = [HEADER]
    body.append("## Tables\n")
    for t in TABLES:
        body.append(f"- [`{t.name}`](#{t.name.replace('_', '_')}) — {t.doc.split('.')[0]}.")
    body.append("")
    for t in TABLES:
        body.append(render_table(t))
    return "\n".join(body).rstrip() + "\n"


def as_dict(t: Table) -> dict[str, Any]:
    return {
        "name": t.name,
        "doc": t.doc,
        "key": list(t.key),
        "required": t.required,
        "period": t.period,
        "columns": [
            {
                "name": c.name,
                "type": c.type.value,
                "required": c.required,
                "codes": dict(c.enum) if c.enum else None,
                "ref": c.ref,
                "min": c.min,
                "max": c.max,
                "doc": c.doc,
            }
            for c in t.columns
        ],
        "checks": [{"code": k.code, "condition": k.condition, "message": k.message} for k in t.checks],
    }
