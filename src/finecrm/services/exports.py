"""Excel files of customer lists: the shared parts of every export (segments, audiences, campaigns).

Each export masks inside its query and writes its audit row before calling these; what is shared is how a
value becomes a cell, the "about" sheet every file carries (snapshot, who, when, masked) and the bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

#: The most customers one export may hold: a list for a campaign, not a copy of the customer base.
MAX_EXPORT_ROWS = 50_000


def cell(value: Any) -> Any:
    """A value Excel can hold: time-zone-aware times in UTC without the zone, lists and dicts as text."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list | tuple | dict):
        return str(value)
    return value


def add_about(wb: Any, *, build_id: str, exported_by: str, extra: Iterable[Sequence[Any]] = ()) -> None:
    """The 说明 about sheet: what the file was made from, by whom and when, and that it is masked."""
    about = wb.create_sheet("说明 about")
    for row in ([["快照 snapshot", build_id], ["导出人 exported by", exported_by],
                 ["导出时间 exported at (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")]]
                + [list(r) for r in extra] + [["个人信息 personal data", "已脱敏 masked"]]):
        about.append(row)


def to_bytes(wb: Any) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def list_workbook(sheet: str, columns: Sequence[str], rows: Iterable[dict[str, Any]], *, build_id: str,
                  exported_by: str, about: Iterable[Sequence[Any]] = ()) -> bytes:
    """One sheet of rows (``columns`` as the header) and the about sheet, as an .xlsx file."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(columns))
    for r in rows:
        ws.append([cell(r[c]) for c in columns])
    add_about(wb, build_id=build_id, exported_by=exported_by, extra=about)
    return to_bytes(wb)
