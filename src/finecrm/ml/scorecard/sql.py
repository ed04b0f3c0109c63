"""The card compiled to SQL: one ``CASE`` per variable, summed to the score, and the grade from the score.

Two forms from the same card:

- :func:`card_expr`: an Ibis expression over any table with the card's columns; it runs on every backend
  finecrm runs on (DuckDB, Spark), so a build can score a whole mart where the data is;
- :func:`card_sql`: plain SQL text a bank can read, review and run in its own warehouse, over a table or
  view of the same columns. Written in DuckDB's dialect and translated by sqlglot for others (Spark/Hive,
  PostgreSQL, Oracle, MySQL, SQL Server…).

Both apply the card's bin rules (``card.py``): empty first (NULL; in the Ibis form also a floating NaN, which
pandas uses for empty), then the special values, then ``x < upper`` edge by edge; for text, NULL, then the
grouped categories, else the *other* bin. Every CASE yields a DOUBLE, so that the sum neither overflows a
small integer type nor rounds.
"""

from __future__ import annotations

from typing import Any

from finecrm.ml.scorecard.card import Card, Variable, fmt_edge

DIALECTS = ("duckdb", "spark", "hive", "postgres", "oracle", "mysql", "tsql", "snowflake", "bigquery", "trino")
POINTS_PREFIX = "pts_"
SCORE, GRADE, GRADE_PD = "score", "grade", "grade_pd"


def points_column(variable: str) -> str:
    return f"{POINTS_PREFIX}{variable}"


def _pieces(v: Variable) -> tuple[float, list[tuple[str, Any, float]], float]:
    """(points when empty, [(test, operand, points)…], points otherwise) — the CASE of a variable as data."""
    kinds = [b.kind for b in v.bins]
    missing = v.bins[kinds.index("missing")].points
    tests: list[tuple[str, Any, float]] = []
    if v.dtype == "numerical":
        if "special" in kinds:
            special = v.bins[kinds.index("special")]
            tests.append(("in", list(special.values or []), special.points))
        ranges = [b for b in v.bins if b.kind == "range"]
        tests += [("lt", b.upper, b.points) for b in ranges[:-1]]
        return missing, tests, ranges[-1].points
    tests += [("in", list(b.categories or []), b.points) for b in v.bins if b.kind == "categories"]
    return missing, tests, v.bins[kinds.index("other")].points


# --- Ibis ---------------------------------------------------------------------------------------------------


def card_expr(card: Card, table: Any) -> Any:
    """``table`` with a points column per variable (``pts_<name>``), ``score``, ``grade`` and ``grade_pd``."""
    import ibis

    def num(p: float) -> Any:
        return ibis.literal(float(p), type="float64")

    points = {}
    for v in card.variables:
        col = table[v.name]
        missing, tests, otherwise = _pieces(v)
        empty = col.isnull()
        if v.dtype == "numerical" and col.type().is_floating():
            empty = empty | col.isnan()
        cases: list[tuple[Any, Any]] = [(empty, num(missing))]
        for op, operand, p in tests:
            if op == "in":
                values = [float(o) for o in operand] if v.dtype == "numerical" else [str(o) for o in operand]
                cases.append((col.isin(values), num(p)))
            else:
                cases.append((col < ibis.literal(float(operand), type="float64"), num(p)))
        points[points_column(v.name)] = ibis.cases(*cases, else_=num(otherwise))
    with_points = table.mutate(**points)
    total = None
    for name in points:
        total = with_points[name] if total is None else total + with_points[name]
    scored = with_points.mutate(**{SCORE: total if total is not None else num(0)})
    s = scored[SCORE]
    worst = card.grades[-1]
    grade = ibis.cases(*[(s >= g.min_score, ibis.literal(g.label, type="string")) for g in card.grades[:-1]
                         if g.min_score is not None], else_=ibis.literal(worst.label, type="string"))
    pd_ = ibis.cases(*[(s >= g.min_score, num(g.pd)) for g in card.grades[:-1] if g.min_score is not None],
                     else_=num(worst.pd))
    return scored.mutate(**{GRADE: grade, GRADE_PD: pd_})


# --- SQL text -----------------------------------------------------------------------------------------------


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _literal(x: float) -> str:
    return fmt_edge(float(x))


def _case_text(v: Variable) -> str:
    col = quote_name(v.name)
    missing, tests, otherwise = _pieces(v)
    lines = [f"      WHEN {col} IS NULL THEN {_literal(missing)}"]
    for op, operand, p in tests:
        if op == "in":
            values = [_literal(o) for o in operand] if v.dtype == "numerical" else [quote_text(o) for o in operand]
            lines.append(f"      WHEN {col} IN ({', '.join(values)}) THEN {_literal(p)}")
        else:
            lines.append(f"      WHEN {col} < {_literal(operand)} THEN {_literal(p)}")
    lines.append(f"      ELSE {_literal(otherwise)}")
    return "    CAST(CASE\n" + "\n".join(lines) + f"\n    END AS DOUBLE) AS {quote_name(points_column(v.name))}"


def card_sql(card: Card, table: str = "applicants", *, dialect: str = "duckdb", title: str = "") -> str:
    """The card as one SQL query over ``table`` (a table or view with the card's columns)."""
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, got {dialect!r}")
    parts = ",\n".join(_case_text(v) for v in card.variables)
    total = " + ".join(quote_name(points_column(v.name)) for v in card.variables) or "0"
    bounded = [g for g in card.grades[:-1] if g.min_score is not None]
    grade = "\n".join(f"      WHEN {quote_name(SCORE)} >= {_literal(g.min_score)} THEN {quote_text(g.label)}"  # type: ignore[arg-type]
                      for g in bounded)
    pd_ = "\n".join(f"      WHEN {quote_name(SCORE)} >= {_literal(g.min_score)} THEN {_literal(g.pd)}"  # type: ignore[arg-type]
                    for g in bounded)
    worst = card.grades[-1]
    body = (
        f"WITH points AS (\n  SELECT\n    t.*,\n{parts}\n  FROM {table} AS t\n),\n"
        f"scored AS (\n  SELECT points.*, {total} AS {quote_name(SCORE)}\n  FROM points\n)\n"
        f"SELECT\n  scored.*,\n  CASE\n{grade}\n      ELSE {quote_text(worst.label)}\n  END AS {quote_name(GRADE)},\n"
        f"  CASE\n{pd_}\n      ELSE {_literal(worst.pd)}\n  END AS {quote_name(GRADE_PD)}\nFROM scored"
    )
    if dialect != "duckdb":
        import sqlglot

        body = sqlglot.transpile(body, read="duckdb", write=dialect, pretty=True)[0]
    s = card.scale
    head = [f"-- {title or 'finecrm scorecard'}",
            f"-- Input: {table}, a table or view with the columns "
            + ", ".join(f"{v.name} ({'number' if v.dtype == 'numerical' else 'text'})" for v in card.variables),
            f"-- Output: its columns, {POINTS_PREFIX}<variable> points, {SCORE} (sum of points), {GRADE} and "
            f"{GRADE_PD} (the master scale)",
            f"-- Scale: {_literal(s.base_score)} points at odds {_literal(s.base_odds)}:1 (good:bad), "
            f"{_literal(s.pdo)} points to double the odds",
            "-- Empty (NULL) values score as the card's missing bin; text never seen in training as 'other'.",
            f"-- SQL dialect: {dialect}"]
    return "\n".join(head) + "\n" + body + "\n"
