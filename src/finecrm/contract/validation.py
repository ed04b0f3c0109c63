"""Validating one staged table against the contract, inside DuckDB.

Every staged row ends up in exactly one of two DuckDB tables: ``accepted_<table>`` (typed, in
contract column order) or ``quarantine_<table>`` (the raw values as JSON, the source row and every
reason). The checks, in the order their reasons are listed:

* per column: required value present; no control characters and not longer than the field limit;
  value parses as the column's type *exactly* (an amount with more decimals than the fen, a whole
  number written ``1.5``, a date with a time of day, a time with a zone are refused, never rounded
  or cut — see :func:`text_pattern`); code is in the enum; number or date within range;
* per row: the table's row checks (``close_date >= open_date`` …) and foreign keys, which must
  resolve to an *accepted* parent row (from this ingest or already in the warehouse);
* per key: among otherwise valid rows the first occurrence (lowest source row) is kept, later ones
  are quarantined as duplicates naming the row kept.

SQL is assembled only from the contract's own names and constants (all quoted), never from data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from finecrm.contract.csvfile import SRC_ROW
from finecrm.contract.types import ColType, Column, Table

SRC_FILE = "_src_file"
ORD = "_ord"
META = f"{SRC_FILE}, {SRC_ROW}, {ORD}"

TRUE_WORDS = ("1", "y", "yes", "t", "true", "是")
FALSE_WORDS = ("0", "n", "no", "f", "false", "否")

_TYPE_WORDS = {
    ColType.STRING: "text",
    ColType.INT: "a whole number",
    ColType.MONEY: "an amount in yuan like 1234.56",
    ColType.RATE: "a rate as a fraction like 0.0435",
    ColType.DATE: "a date like 2026-09-30",
    ColType.MONTH: "a month like 2026-09 or 2026-09-01",
    ColType.TIMESTAMP: "a time like 2026-09-30 14:05:09",
    ColType.BOOL: "true/false (1/0, Y/N, 是/否)",
}


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: object) -> str:
    """A SQL literal for a constant from the contract (never for data)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


#: Characters no value may hold: C0 controls (NUL, tab, line breaks …), DEL, C1 controls and a stray
#: byte-order mark. A RE2 character class over DuckDB's VARCHAR.
CONTROL_CHARS = r"[\x00-\x1f\x7f-\x9f\x{feff}]"

#: The plain text each typed column accepts (after trimming surrounding spaces). Anything else is
#: ``bad_type``: DuckDB's own casts would accept ``1_000``, ``0x10``, ``1e3`` or ``2026-09-30 10:00`` for a
#: date and silently change the value.
_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_DAY = r"[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}"
TEXT_PATTERNS = {
    ColType.INT: r"[+-]?[0-9]+",
    ColType.MONEY: _NUMBER,
    ColType.RATE: _NUMBER,
    # a date, optionally with a time of exactly midnight (spreadsheets add one)
    ColType.DATE: _DAY + r"([ T]0?0:00(:00(\.0+)?)?)?",
    # a local time: no zone or offset, at most microseconds
    ColType.TIMESTAMP: _DAY + r"([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?",
    ColType.MONTH: r"[0-9]{4}[-/][0-9]{1,2}|" + _DAY + r"([ T]0?0:00(:00(\.0+)?)?)?",
}
_SCALAR = re.compile(
    r"(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|DATE|BOOLEAN"
    r"|TIMESTAMP(_S|_MS|_NS| WITH TIME ZONE)?)"
)
#: Decimal places each decimal type keeps.
PLACES = {ColType.MONEY: 2, ColType.RATE: 6}


@dataclass(frozen=True)
class ValueRules:
    """Settings of the value checks (``ingest.*`` in finecrm.yaml)."""

    #: the longest value accepted, in characters
    max_field_chars: int = 1000
    #: round amounts with more decimals than the fen (half away from zero) instead of quarantining them
    round_money: bool = False


@dataclass
class Validated:
    table: str
    read: int
    accepted: int
    quarantined: int
    #: the accepted rows with their source file and row (view ``accepted_<table>`` hides those two)
    accepted_file: Path


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    con.execute(f"COPY ({select}) TO {lit(str(target))} (FORMAT parquet, COMPRESSION zstd)")


def _norm(col: Column, source_type: str) -> str:
    ident = q(col.name)
    if source_type.upper().startswith("VARCHAR"):
        return f"NULLIF(trim({ident}), '')"
    return ident


def _is_text(source_type: str) -> bool:
    return source_type.upper().startswith("VARCHAR")


def _typed(col: Column, norm: str, source_type: str) -> str:
    text = _is_text(source_type)
    t = col.type
    if t is ColType.STRING:
        return f"CAST({norm} AS VARCHAR)"
    if t is ColType.BOOL:
        if not text:
            return f"TRY_CAST({norm} AS BOOLEAN)"
        trues = ", ".join(lit(w) for w in TRUE_WORDS)
        falses = ", ".join(lit(w) for w in FALSE_WORDS)
        return f"(CASE WHEN lower({norm}) IN ({trues}) THEN TRUE WHEN lower({norm}) IN ({falses}) THEN FALSE END)"
    if not text:
        return f"TRY_CAST({norm} AS {t.duckdb})"
    plain = f"regexp_full_match({norm}, {lit(TEXT_PATTERNS[t])})"
    if t is ColType.MONTH:
        return (
            f"(CASE WHEN regexp_full_match({norm}, '[0-9]{{4}}[-/][0-9]{{1,2}}') "
            f"THEN TRY_CAST(replace({norm}, '/', '-') || '-01' AS DATE) "
            f"WHEN {plain} THEN TRY_CAST({norm} AS DATE) END)"
        )
    return f"(CASE WHEN {plain} THEN TRY_CAST({norm} AS {t.duckdb}) END)"


def _changed(col: Column, norm: str, typed: str, source_type: str) -> str:
    """SQL: the stored value would differ from the given one (beyond the documented normalisations)."""
    if col.type in PLACES and _is_text(source_type):
        # digits after the decimal point that are not trailing zeros
        fraction = f"rtrim(regexp_extract({norm}, '\\.([0-9]*)$', 1), '0')"
        return f"length({fraction}) > {PLACES[col.type]}"
    if _is_text(source_type) or col.type is ColType.STRING or source_type.upper() == col.type.duckdb:
        return "FALSE"
    if not _SCALAR.fullmatch(source_type.upper()):
        return "FALSE"  # a list or struct does not convert at all: bad_type already says so
    # a typed source (Parquet, a mapping's SELECT): the value must survive the round trip
    return f"TRY_CAST({typed} AS {source_type}) IS DISTINCT FROM {norm}"


def _bound(col: Column, value: float | str, today: date) -> str:
    if col.type in (ColType.DATE, ColType.MONTH, ColType.TIMESTAMP):
        day = today.isoformat() if value == "today" else str(value)
        if col.type is ColType.TIMESTAMP:
            return f"TIMESTAMP {lit(day + (' 23:59:59.999999' if value == 'today' else ' 00:00:00'))}"
        return f"DATE {lit(day)}"
    return lit(value)


def _reason(column: str, code: str, message_sql: str) -> str:
    return f"{{'column': {lit(column)}, 'code': {lit(code)}, 'message': {message_sql}}}"


def _shown(expr: str) -> str:
    """The offending value, shortened, for a message."""
    return f"left(CAST({expr} AS VARCHAR), 60)"


def column_reasons(
    col: Column, today: date, earliest: date, source_type: str = "VARCHAR", rules: ValueRules | None = None
) -> list[tuple[str, str]]:
    """(condition, reason struct) pairs over ``__n_<col>`` (normalised) and ``<col>`` (typed)."""
    rules = rules or ValueRules()
    n = q(f"__n_{col.name}")
    v = q(col.name)
    out: list[tuple[str, str]] = []
    if col.required:
        out.append((f"{n} IS NULL", _reason(col.name, "missing", lit("required value is empty"))))
    if _is_text(source_type):
        out.append(
            (
                f"regexp_matches({n}, {lit(CONTROL_CHARS)})",
                _reason(col.name, "control_character",
                        f"{lit('holds a control character (NUL, tab, line break …) at position ')} || "
                        f"CAST(length(regexp_extract({n}, {lit('^[^' + CONTROL_CHARS[1:-1] + ']*')})) + 1 AS VARCHAR)"),
            )
        )
        out.append(
            (
                f"length({n}) > {int(rules.max_field_chars)}",
                _reason(col.name, "too_long",
                        f"{lit('value of ')} || CAST(length({n}) AS VARCHAR) || "
                        f"{lit(' characters; the limit is ' + str(rules.max_field_chars) + ' (ingest.max_field_chars)')}"),
            )
        )
    if col.type is not ColType.STRING:
        out.append(
            (
                f"{n} IS NOT NULL AND {v} IS NULL",
                _reason(col.name, "bad_type", f"{lit('expected ' + _TYPE_WORDS[col.type] + ', got ')} || {_shown(n)}"),
            )
        )
        rounding = col.type is ColType.MONEY and rules.round_money
        if col.type in PLACES and not rounding:
            places = PLACES[col.type]
            out.append(
                (
                    f"{v} IS NOT NULL AND {_changed(col, n, v, source_type)}",
                    _reason(col.name, "too_many_decimals",
                            f"{_shown(n)} || {lit(f' has more than {places} decimal places; it is not rounded')}"
                            + (f" || {lit(' (set ingest.round_money to round amounts to the fen)')}"
                               if col.type is ColType.MONEY else "")),
                )
            )
        elif col.type not in PLACES:
            out.append(
                (
                    f"{v} IS NOT NULL AND {_changed(col, n, v, source_type)}",
                    _reason(col.name, "bad_type",
                            f"{lit('expected ' + _TYPE_WORDS[col.type] + ', got ')} || {_shown(n)} || "
                            f"{lit(' (storing it would change it)')}"),
                )
            )
    if col.enum:
        codes = ", ".join(lit(c) for c in col.enum_codes)
        allowed = ", ".join(col.enum_codes)
        out.append(
            (
                f"{v} IS NOT NULL AND {v} NOT IN ({codes})",
                _reason(col.name, "bad_code", f"{lit('not an allowed code: ')} || {_shown(v)} || {lit(' (allowed: ' + allowed + ')')}"),
            )
        )
    lo = col.min
    if lo is not None and col.type in (ColType.DATE, ColType.MONTH, ColType.TIMESTAMP):
        lo = max(str(lo), earliest.isoformat())
    if lo is not None:
        out.append(
            (
                f"{v} < {_bound(col, lo, today)}",
                _reason(col.name, "out_of_range", f"{_shown(v)} || {lit(' is below the minimum ' + str(lo))}"),
            )
        )
    if col.max is not None:
        shown_max = today.isoformat() if col.max == "today" else str(col.max)
        out.append(
            (
                f"{v} > {_bound(col, col.max, today)}",
                _reason(col.name, "out_of_range", f"{_shown(v)} || {lit(' is above the maximum ' + shown_max)}"),
            )
        )
    return out


def validate_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    source: str,
    parent_keys: dict[str, str],
    *,
    today: date,
    earliest: date,
    work: Path,
    rules: ValueRules | None = None,
) -> Validated:
    """Split relation ``source`` into views ``accepted_<table>`` and ``quarantine_<table>`` (over
    Parquet files written under ``work``).

    ``source`` has every contract column (text or typed; the caller fills missing optional ones
    with NULL), ``_src_file``, ``_src_row`` (line or row number in that file) and ``_ord`` (a
    global order: the first occurrence of a duplicated key is the lowest ``_ord``).
    ``parent_keys`` maps a foreign key's ``table.column`` to SQL for a relation whose column ``k``
    holds every accepted parent key; a foreign key not in it is not checked.
    """
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {q(source)})").fetchall())
    cols = table.columns
    norm_sql = ",\n  ".join(f"{_norm(c, types[c.name])} AS {q('__n_' + c.name)}" for c in cols)
    typed_sql = ",\n  ".join(f"{_typed(c, q('__n_' + c.name), types[c.name])} AS {q(c.name)}" for c in cols)

    joins: list[str] = []
    reasons: list[str] = []
    for c in cols:
        reasons += [f"CASE WHEN {cond} THEN {r} END"
                    for cond, r in column_reasons(c, today, earliest, types[c.name], rules)]
    for chk in table.checks:
        reasons.append(
            f"CASE WHEN coalesce(NOT ({chk.condition}), FALSE) THEN "
            f"{_reason(chk.column, chk.code, lit(chk.message))} END"
        )
    for i, c in enumerate(table.foreign_keys):
        if c.ref not in parent_keys:  # parent table never provided: nothing to check against
            continue
        alias = f"__fk{i}"
        joins.append(f"LEFT JOIN (SELECT DISTINCT k FROM {parent_keys[c.ref]}) {alias} ON {alias}.k = t.{q(c.name)}")
        parent_table = c.ref.split(".")[0]
        reasons.append(
            f"CASE WHEN t.{q(c.name)} IS NOT NULL AND {alias}.k IS NULL THEN "
            + _reason(
                c.name,
                "orphan",
                f"{_shown('t.' + q(c.name))} || {lit(' is not in ' + parent_table + ' (or that row was quarantined)')}",
            )
            + " END"
        )

    # The raw values travel only with rejected rows: at 180M transactions, carrying them for every
    # row would need tens of GB of scratch space. Everything goes through compressed Parquet files.
    raw_json = "to_json(struct_pack(" + ", ".join(f"{q(c.name)} := {q('__n_' + c.name)}" for c in cols) + "))"
    typed_json = "to_json(struct_pack(" + ", ".join(f"{q(c.name)} := t.{q(c.name)}" for c in cols) + "))"
    key_cols = ", ".join(q(k) for k in table.key)
    key_text = "concat_ws('|', " + ", ".join(f"CAST(t.{q(k)} AS VARCHAR)" for k in table.key) + ")"
    checked = work / f"checked_{table.name}.parquet"
    reasons_sql = f"list_filter([{', '.join(reasons)}], lambda x: x IS NOT NULL)"
    _copy(con, f"""
        WITH n AS (SELECT {META}, {norm_sql} FROM {q(source)}),
             t AS (SELECT {META}, {", ".join(q("__n_" + c.name) for c in cols)}, {typed_sql} FROM n),
             r AS (SELECT t.*, {reasons_sql} AS __reasons FROM t {" ".join(joins)})
        SELECT {META}, {", ".join(q(c.name) for c in cols)}, __reasons,
               CASE WHEN len(__reasons) > 0 THEN CAST({raw_json} AS VARCHAR) END AS __record
        FROM r
        """, checked)
    checked_rel = f"read_parquet({lit(str(checked))})"
    dups = f"__dups_{table.name}"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {q(dups)} AS
        SELECT {key_cols}, min({ORD}) AS __first,
               arg_min({SRC_FILE} || ' row ' || CAST({SRC_ROW} AS VARCHAR), {ORD}) AS __where
        FROM {checked_rel} WHERE len(__reasons) = 0 GROUP BY {key_cols} HAVING count(*) > 1
        """
    )
    join_dups = f"LEFT JOIN {q(dups)} d USING ({key_cols})"
    contract_cols = ", ".join(f"t.{q(c.name)}" for c in cols)
    accepted_path = work / f"accepted_{table.name}.parquet"
    _copy(con, f"""SELECT {contract_cols}, t.{SRC_FILE}, t.{SRC_ROW} FROM {checked_rel} t {join_dups}
                   WHERE len(t.__reasons) = 0 AND (d.__first IS NULL OR t.{ORD} = d.__first)""", accepted_path)
    dup_reason = _reason(table.key[-1], "duplicate_key", "'same key as an earlier row, which was kept: ' || d.__where")
    quarantine_path = work / f"quarantine_{table.name}.parquet"
    _copy(con, f"""
        WITH r AS (
          SELECT t.{SRC_FILE}, t.{SRC_ROW}, {key_text} AS key,
                 coalesce(t.__record, CAST({typed_json} AS VARCHAR)) AS record,
                 CASE WHEN len(t.__reasons) = 0 THEN [{dup_reason}] ELSE t.__reasons END AS reasons
          FROM {checked_rel} t {join_dups}
          WHERE len(t.__reasons) > 0 OR (d.__first IS NOT NULL AND t.{ORD} <> d.__first)
        )
        SELECT {lit(table.name)} AS "table", {SRC_FILE} AS source_file,
               CAST({SRC_ROW} AS BIGINT) AS source_row, key,
               reasons[1].column AS "column", reasons[1].code AS code, reasons[1].message AS reason,
               CAST(to_json(reasons) AS VARCHAR) AS all_reasons, record
        FROM r
        """, quarantine_path)
    accepted_view(con, table, accepted_path)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {q('quarantine_' + table.name)} AS "
                f"SELECT * FROM read_parquet({lit(str(quarantine_path))})")

    def count(path: Path) -> int:
        return int(con.execute(f"SELECT count(*) FROM read_parquet({lit(str(path))})").fetchone()[0])  # type: ignore[index]

    read, accepted, quarantined = count(checked), count(accepted_path), count(quarantine_path)
    checked.unlink()
    con.execute(f"DROP TABLE {q(dups)}")
    return Validated(table.name, int(read), int(accepted), int(quarantined), accepted_path)


def accepted_view(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> None:
    """View ``accepted_<table>``: the contract columns of the accepted rows in ``path`` (which also
    holds each row's source file and row)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {q('accepted_' + table.name)} AS "
                f"SELECT * EXCLUDE ({SRC_FILE}, {SRC_ROW}) FROM read_parquet({lit(str(path))})")
