"""Building blocks of the data contract: column types, columns, tables.

The contract is plain data (frozen dataclasses) so that validation, the generator, the docs and the
engine all read the same definitions. ``docs/data-contract.md`` is rendered from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa


class ColType(StrEnum):
    """Logical column types. Money is decimal yuan with two places (DECIMAL(18,2))."""

    STRING = "string"
    INT = "int"
    MONEY = "money"
    RATE = "rate"
    DATE = "date"
    MONTH = "month"
    TIMESTAMP = "timestamp"
    BOOL = "bool"

    @property
    def duckdb(self) -> str:
        return _DUCKDB[self]

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW[self]


_DUCKDB = {
    ColType.STRING: "VARCHAR",
    ColType.INT: "BIGINT",
    ColType.MONEY: "DECIMAL(18,2)",
    ColType.RATE: "DECIMAL(9,6)",
    ColType.DATE: "DATE",
    ColType.MONTH: "DATE",
    ColType.TIMESTAMP: "TIMESTAMP",
    ColType.BOOL: "BOOLEAN",
}

_ARROW = {
    ColType.STRING: pa.string(),
    ColType.INT: pa.int64(),
    ColType.MONEY: pa.decimal128(18, 2),
    ColType.RATE: pa.decimal128(9, 6),
    ColType.DATE: pa.date32(),
    ColType.MONTH: pa.date32(),
    ColType.TIMESTAMP: pa.timestamp("us"),
    ColType.BOOL: pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    ``enum`` lists the allowed codes (with Chinese labels); ``ref`` names ``table.column`` of a
    foreign key; ``min``/``max`` bound numbers and dates (dates as ISO strings, ``"today"`` allowed
    as an upper bound, resolved at validation time).
    """

    name: str
    type: ColType
    doc: str
    required: bool = False
    enum: tuple[tuple[str, str], ...] = ()
    ref: str | None = None
    min: float | str | None = None
    max: float | str | None = None

    @property
    def enum_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.enum)


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns of one row, e.g. ``close_date >= open_date``.

    ``condition`` is a DuckDB boolean over the typed columns that must hold (NULL counts as
    holding, so optional columns do not fail it); ``column`` is the column blamed in quarantine.
    """

    code: str
    column: str
    condition: str
    message: str


@dataclass(frozen=True)
class Table:
    """One contract table.

    ``period`` names the date column whose month partitions the table in the warehouse: ingesting
    a later period then adds or replaces those months only. Tables without a period are merged by
    key (a row with a known key replaces the stored row).
    """

    name: str
    doc: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    period: str | None = None
    checks: tuple[RowCheck, ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def foreign_keys(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.ref)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.type.arrow, nullable=not c.required) for c in self.columns]
        )
