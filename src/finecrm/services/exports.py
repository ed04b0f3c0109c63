"""Excel files of customer lists: the shared parts of every export (segments, audiences, campaigns).

Every export masks inside its query (clear personal data never reaches this process for a masked file) and
writes its audit row before the file is made. :func:`export_customers` is that whole sequence for a list of
customers; the pieces below it are how a value becomes a cell, the "about" sheet every file carries
(snapshot, who, when, masked) and the bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from finecrm.authz import Principal, allowed, mask_table
from finecrm.core.errors import FinecrmError
from finecrm.db import repositories
from finecrm.services.common import is_money

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from finecrm.services.snapshot import Serving

#: The most customers one export may hold: a list for a campaign, not a copy of the customer base.
MAX_EXPORT_ROWS = 50_000


def export_customers(session: Session, serving: Serving, principal: Principal, t: ir.Table, *,
                     columns: Sequence[str], title: str, target: str, details: Mapping[str, Any],
                     about: Iterable[Sequence[Any]], too_many: tuple[type[FinecrmError], str],
                     ip: str | None = None) -> tuple[bytes, int]:
    """The customers of ``t`` as a workbook: at most :data:`MAX_EXPORT_ROWS`, money columns only for those
    who may see balances, masked in the query, audited (``export_list`` on ``target``) before it is made.

    ``too_many`` is the error to raise above the limit and its bilingual message, a format string of ``n``
    (the list's size) and ``limit``. Returns the file and its row count.
    """
    n = int(serving.scalar(t.count()) or 0)
    if n > MAX_EXPORT_ROWS:
        error, message = too_many
        raise error(message.format(n=n, limit=MAX_EXPORT_ROWS))
    money = allowed(principal, "view_balances")
    cols = [c for c in columns if (money or not is_money(c)) and c in t.columns]
    rows = serving.query(mask_table(principal, t.select(*cols)).order_by("customer_id"))
    repositories.record_audit(session, actor=principal.username, action="export_list", target=target,
                              details={**details, "rows": n, "columns": cols, "masked": True, "ip": ip,
                                       "snapshot": serving.build_id})
    content = list_workbook(title, cols, rows, build_id=serving.build_id, exported_by=principal.username,
                            about=about)
    return content, n


#: Text starting with one of these is a formula (or becomes one) to a spreadsheet: such cells are written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value Excel can hold: time-zone-aware times in UTC without the zone, lists and dicts as text."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


class TextSafeSheet:
    """A write-only sheet whose every text cell is stored as text, never as a formula.

    An audience named ``=HYPERLINK(…)`` or a customer note starting with ``+`` would otherwise be written (by
    openpyxl) or read (by Excel) as a formula: formula injection into the bank's own spreadsheets. Each export
    creates its sheets through :func:`sheet`, so no cell escapes this.
    """

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    def append(self, values: Iterable[Any]) -> None:
        from openpyxl.cell import WriteOnlyCell

        row: list[Any] = []
        for value in values:
            v = cell(value)
            if isinstance(v, str) and v.startswith(FORMULA_STARTS):
                text = WriteOnlyCell(self._ws, value=v)
                text.data_type = "s"
                row.append(text)
            else:
                row.append(v)
        self._ws.append(row)


def sheet(wb: Any, title: str) -> TextSafeSheet:
    """A new sheet of the write-only workbook ``wb``, writing text as text (see :class:`TextSafeSheet`)."""
    return TextSafeSheet(wb.create_sheet(title))


def add_about(wb: Any, *, build_id: str, exported_by: str, extra: Iterable[Sequence[Any]] = ()) -> None:
    """The 说明 about sheet: what the file was made from, by whom and when, and that it is masked."""
    about = sheet(wb, "说明 about")
    for row in ([["快照 snapshot", build_id], ["导出人 exported by", exported_by],
                 ["导出时间 exported at (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")]]
                + [list(r) for r in extra] + [["个人信息 personal data", "已脱敏 masked"]]):
        about.append(row)


def to_bytes(wb: Any) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def list_workbook(title: str, columns: Sequence[str], rows: Iterable[dict[str, Any]], *, build_id: str,
                  exported_by: str, about: Iterable[Sequence[Any]] = ()) -> bytes:
    """One sheet of rows (``columns`` as the header) and the about sheet, as an .xlsx file."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = sheet(wb, title)
    ws.append(list(columns))
    for r in rows:
        ws.append([r[c] for c in columns])
    add_about(wb, build_id=build_id, exported_by=exported_by, extra=about)
    return to_bytes(wb)
