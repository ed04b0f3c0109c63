"""Helpers every area's use cases share: pages of rows, and which columns are money.

Kept apart from any one area so that areas depend on this module, never on each other, for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from typing_extensions import TypedDict

from finecrm.authz import Principal, allowed

PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
#: The largest record id or count an input takes: the operational database's INTEGER (32-bit on
#: PostgreSQL). A larger number is refused as bad input before it reaches the database, which would fail.
MAX_ID = 2**31 - 1

#: Columns of customer_360 that are money or reveal money; hidden without ``view_balances``.
_MONEY_PREFIXES = ("aum_", "deposit", "time_deposit_", "wealth_", "fund_", "insurance_", "loan", "contribution",
                   "out_", "consumption_", "fees_", "balance")


#: Text columns that quote amounts (the marts' own reasons): hidden with the money they quote. Pages say why in
#: sentences made for the role instead (services.customers.reasons).
_QUOTES_MONEY = frozenset({"tier_reason", "lifecycle_reason"})


def is_money(column: str) -> bool:
    return column.startswith(_MONEY_PREFIXES) or column in _QUOTES_MONEY


def hide_money(principal: Principal, record: dict[str, Any]) -> dict[str, Any]:
    """Drop money columns unless the principal may view balances."""
    if allowed(principal, "view_balances"):
        return record
    return {k: v for k, v in record.items() if not is_money(k)}


#: The type of a page's rows (each area's outputs name its row type).
R = TypeVar("R")


class PageInfo(TypedDict):
    """Where a page is in its list: 第几页、每页几行、共几行、共几页 / page number, page size, total rows, pages."""

    page: int
    page_size: int
    total: int
    pages: int


class PageDoc(PageInfo, Generic[R]):
    """A page of rows as plain data (``Page.to_dict``). Each area's outputs declare its own page type with the
    row type spelled out (``class CustomerPage(PageInfo): rows: list[SearchRow]``), which is what the API
    documents; this generic form is what they are checked against."""

    rows: list[R]


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def to_dict(self) -> PageDoc[R]:
        return {"rows": self.rows, "page": self.page, "page_size": self.page_size, "total": self.total,
                "pages": self.pages}


def clamp_page(page: int | None, page_size: int | None, default: int = PAGE_SIZE) -> tuple[int, int]:
    size = min(max(int(page_size or default), 1), MAX_PAGE_SIZE)
    return max(int(page or 1), 1), size
