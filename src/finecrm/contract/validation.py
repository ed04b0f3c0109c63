"""Validating one staged table against the contract, inside DuckDB.

Every staged row ends up in exactly one of two DuckDB tables: ``accepted_<table>`` (typed, in
contract column order) or ``quarantine_<table>`` (the raw values as JSON, the source row and every
reason). The checks, in the order their reasons are listed:

* per column: required value present; value parses as the column's type; code is in the enum;
  number or date within range;
* per row: the table's row checks (``close_date >= open_date`` …) and foreign keys, which must
  resolve to an *accepted* parent row (from this ingest or already in the warehouse);
* per key: among otherwise valid rows the first occurrence (lowest source row) is kept, later ones
  are quarantined as duplicates naming the row kept.

SQL is assembled only from the contract's own names and constants (all quoted), never from data.
"""

from __future__ import annotations

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


@dataclass
class Validated:
    table: str
    read: int
    accepted: int
    quarantined: int


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    con.execute(f"COPY ({select}) TO {lit(str(target))} (FORMAT parquet, COMPRESSION zstd)")


def _norm(col: Column, source_type: str) -> str:
    ident = q(col.name)
    if source_type.upper().startswith("VARCHAR"):
        return f"NULLIF(trim({ident}), '')"
    return ident


def _typed(col: Column, norm: str, source_type: str) -> str:
    text = source_type.upper().startswith("VARCHAR")
    t = col.type
    if t is ColType.STRING:
        return f"CAST({norm} AS VARCHAR)"
    if t is ColType.BOOL:
        if not text:
            return f"TRY_CAST({norm} AS BOOLEAN)"
        trues = ", ".join(lit(w) for w in TRUE_WORDS)
        falses = ", ".join(lit(w) for w in FALSE_WORDS)
        return f"(CASE WHEN lower({norm}) IN ({trues}) THEN TRUE WHEN lower({norm}) IN ({falses}) THEN FALSE END)"
    if t is ColType.MONTH and text:
        return (
            f"(CASE WHEN regexp_full_match({norm}, '\\d{{4}}-\\d{{1,2}}') "
            f"THEN TRY_CAST({norm} || '-01' AS DATE) ELSE TRY_CAST({norm} AS DATE) END)"
        )
    if t is ColType.DATE and not text:
        return f"TRY_CAST({norm} AS DATE)"
    return f"TRY_CAST({norm} AS {t.duckdb})"


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


def column_reasons(col: Column, today: date, earliest: date) -> list[tuple[str, str]]:
    """(condition, reason struct) pairs over ``__n_<col>`` (normalised) and ``<col>`` (typed)."""
    n = q(f"__n_{col.name}")
    v = q(col.name)
    out: list[tuple[str, str]] = []
    if col.required:
        out.append((f"{n} IS NULL", _reason(col.name, "missing", lit("required value is empty"))))
    if col.type is not ColType.STRING:
        out.append(
            (
                f"{n} IS NOT NULL AND {v} IS NULL",
                _reason(col.name, "bad_type", f"{lit('expected ' + _TYPE_WORDS[col.type] + ', got ')} || {_shown(n)}"),
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
        reasons += [f"CASE WHEN {cond} THEN {r} END" for cond, r in column_reasons(c, today, earliest)]
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
    _copy(con, f"""SELECT {contract_cols} FROM {checked_rel} t {join_dups}
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
    con.execute(f"CREATE OR REPLACE TEMP VIEW {q('accepted_' + table.name)} AS "
                f"SELECT * FROM read_parquet({lit(str(accepted_path))})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {q('quarantine_' + table.name)} AS "
                f"SELECT * FROM read_parquet({lit(str(quarantine_path))})")

    def count(path: Path) -> int:
        return int(con.execute(f"SELECT count(*) FROM read_parquet({lit(str(path))})").fetchone()[0])  # type: ignore[index]

    read, accepted, quarantined = count(checked), count(accepted_path), count(quarantine_path)
    checked.unlink()
    con.execute(f"DROP TABLE {q(dups)}")
    return Validated(table.name, int(read), int(accepted), int(quarantined))
