"""A small customer table and rules with their expected rows, shared by the DuckDB and Spark tests.

Each case pairs a rule with a hand-written Python reading of it under SQL's three-valued logic
(``None`` is NULL; a row is selected only when the condition is true). The expected rows come from
running that reading over ``ROWS``, not from hard-coded ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

import pyarrow as pa

# The rows are laid out around the day the tests are collected. Rules that say current_date are read
# against the engine's own date of the query (``expected_ids(reading, today=...)``), so a run that
# crosses midnight still compares like with like.
TODAY = dt.date.today()


def _days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 30))


COLUMNS: dict[str, str] = {
    "customer_id": "int",
    "kind": "string",
    "name": "string",
    "客户等级": "string",
    "tier": "string",
    "lifecycle": "string",
    "age": "int",
    "txn_30d": "int",
    "last_txn_days": "int",
    "aum_avg_m": "decimal",
    "score": "float",
    "has_online_banking": "bool",
    "has_mobile_banking": "bool",
    "open_date": "date",
    "last_txn_at": "timestamp",
}

SCHEMA = pa.schema([
    ("customer_id", pa.int64()),
    ("kind", pa.string()),
    ("name", pa.string()),
    ("客户等级", pa.string()),
    ("tier", pa.string()),
    ("lifecycle", pa.string()),
    ("age", pa.int64()),
    ("txn_30d", pa.int64()),
    ("last_txn_days", pa.int64()),
    ("aum_avg_m", pa.decimal128(18, 2)),
    ("score", pa.float64()),
    ("has_online_banking", pa.bool_()),
    ("has_mobile_banking", pa.bool_()),
    ("open_date", pa.date32()),
    ("last_txn_at", pa.timestamp("us")),
])

D = Decimal
_RAW: list[tuple[Any, ...]] = [
    # id kind          name             等级  tier    lifecycle age  txn last  aum               score online mobile open_date            last_txn_at
    (1, "individual", "张三", "A", "财富", "成长", 35, 6, 10, D("520000.00"), 0.8, True, False, _days_ago(100), _at(_days_ago(1))),
    (2, "individual", "李四", "B", "私行", "稳定", 40, 5, 3, D("6000000.00"), 0.2, True, False, dt.date(2015, 6, 1), _at(_days_ago(3))),
    (3, "individual", "王五", None, "大众", "沉睡", 39, 5, 400, D("1000.50"), None, True, False, _days_ago(30), None),
    (4, "corporate", "Acme 贸易公司", "A", "贵宾", "稳定", None, 20, 1, D("500000.00"), 0.5, False, False, dt.date(2025, 12, 31), _at(_days_ago(1), 16)),
    (5, "individual", "a' OR 1=1 --", "C", "大众", "新", 22, 4, 500, D("0.00"), 1.5, True, True, dt.date(2026, 1, 1), _at(_days_ago(500))),
    (6, "individual", "赵_六", None, None, "流失", 61, 0, 366, None, None, None, None, dt.date(2025, 12, 1), None),
    (7, "individual", "ZHANG%wei", "B", "财富", "衰退", 45, 12, 365, D("499999.99"), 0.1, True, None, _days_ago(31), _at(TODAY, 0)),
    (8, "corporate", " 空格 ", "A", "私行", "沉睡", None, 0, 1000, D("6000000.01"), None, False, True, dt.date(2026, 2, 15), _at(_days_ago(1000))),
    (9, "individual", "zhangsan", "C", "贵宾", "成长", 18, 5, 0, D("50000.00"), 0.9, True, False, TODAY, _at(TODAY)),
    (10, "individual", "钱七", "B", "财富", "沉睡", 70, 2, 800, D("500000.00"), 0.4, False, False, dt.date(2024, 2, 29), _at(_days_ago(800))),
]

ROWS: list[dict[str, Any]] = [dict(zip(SCHEMA.names, raw, strict=True)) for raw in _RAW]


def arrow_table() -> pa.Table:
    return pa.Table.from_pylist(ROWS, schema=SCHEMA)


# -- three-valued logic, for writing the expected readings --------------------------------------

def and_(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def or_(*values: bool | None) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def not_(value: bool | None) -> bool | None:
    return None if value is None else not value


def cmp(left: Any, op: str, right: Any) -> bool | None:
    if left is None or right is None:
        return None
    return {
        "=": left == right, "<>": left != right, "<": left < right,
        "<=": left <= right, ">": left > right, ">=": left >= right,
    }[op]


def in_(value: Any, options: tuple[Any, ...]) -> bool | None:
    return None if value is None else value in options


def like(value: str | None, prefix: str = "", contains: str = "", suffix: str = "") -> bool | None:
    if value is None:
        return None
    return value.startswith(prefix) and contains in value and value.endswith(suffix)


def round_half_up(value: float | None, digits: int = 0) -> Decimal | None:
    # SQL engines round halves away from zero; Python's round() would round 0.5 to 0.
    return None if value is None else Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)


def days(start: dt.date | None, end: dt.date | None) -> int | None:
    if start is None or end is None:
        return None
    start = start.date() if isinstance(start, dt.datetime) else start
    end = end.date() if isinstance(end, dt.datetime) else end
    return (end - start).days


def least(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def greatest(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


Reading = Callable[[SimpleNamespace], bool | None]

CASES: list[tuple[str, Reading]] = [
    # 开通网银未开通手机银行、40岁以下、月均交易5笔以上 (the requirement's own example)
    ("has_online_banking AND NOT has_mobile_banking AND age < 40 AND txn_30d >= 5",
     lambda r: and_(r.has_online_banking, not_(r.has_mobile_banking), cmp(r.age, "<", 40), cmp(r.txn_30d, ">=", 5))),
    ("tier IN ('财富', '私行') AND aum_avg_m BETWEEN 500000 AND 6000000",
     lambda r: and_(in_(r.tier, ("财富", "私行")), cmp(r.aum_avg_m, ">=", 500000), cmp(r.aum_avg_m, "<=", 6000000))),
    ("lifecycle = '沉睡' OR (last_txn_days > 365 AND kind = 'individual')",
     lambda r: or_(cmp(r.lifecycle, "=", "沉睡"), and_(cmp(r.last_txn_days, ">", 365), cmp(r.kind, "=", "individual")))),
    ("age IS NULL", lambda r: r.age is None),
    ("age IS NOT NULL AND age >= 40", lambda r: and_(r.age is not None, cmp(r.age, ">=", 40))),
    ("NOT (age < 40)", lambda r: not_(cmp(r.age, "<", 40))),
    ("age <> 40", lambda r: cmp(r.age, "<>", 40)),
    ("age != 40 AND age > 35", lambda r: and_(cmp(r.age, "<>", 40), cmp(r.age, ">", 35))),
    ("tier NOT IN ('大众', '贵宾')", lambda r: not_(in_(r.tier, ("大众", "贵宾")))),
    ("age NOT BETWEEN 20 AND 40", lambda r: not_(and_(cmp(r.age, ">=", 20), cmp(r.age, "<=", 40)))),
    ("name LIKE '张%'", lambda r: like(r.name, prefix="张")),
    ("name NOT LIKE '%公司%'", lambda r: not_(like(r.name, contains="公司"))),
    ("name ILIKE 'zhang%'", lambda r: like(None if r.name is None else r.name.lower(), prefix="zhang")),
    ("name LIKE '赵_六'", lambda r: None if r.name is None else (len(r.name) == 3 and r.name[0] == "赵" and r.name[2] == "六")),
    # A string that looks like an injection is only a value: it matches the one customer so named.
    ("name = 'a'' OR 1=1 --'", lambda r: cmp(r.name, "=", "a' OR 1=1 --")),
    ("CASE WHEN tier = '私行' THEN 3 WHEN tier = '财富' THEN 2 ELSE 1 END >= 2",
     lambda r: (3 if r.tier == "私行" else 2 if r.tier == "财富" else 1) >= 2),
    ("CASE tier WHEN '大众' THEN age END < 30", lambda r: cmp(r.age if r.tier == "大众" else None, "<", 30)),
    ("open_date >= DATE '2026-01-01' AND open_date < DATE '2026-03-01'",
     lambda r: and_(cmp(r.open_date, ">=", dt.date(2026, 1, 1)), cmp(r.open_date, "<", dt.date(2026, 3, 1)))),
    ("open_date < '2025-12-31'", lambda r: cmp(r.open_date, "<", dt.date(2025, 12, 31))),
    ("date_diff('day', open_date, current_date) <= 30", lambda r: cmp(days(r.open_date, r.today), "<=", 30)),
    ("last_txn_at >= current_date", lambda r: cmp(r.last_txn_at, ">=", dt.datetime.combine(r.today, dt.time()))),
    ("date_diff('day', last_txn_at, current_date) = 1", lambda r: cmp(days(r.last_txn_at, r.today), "=", 1)),
    ("last_txn_at > open_date", lambda r: cmp(r.last_txn_at, ">", None if r.open_date is None
                                              else dt.datetime.combine(r.open_date, dt.time()))),
    ("year(open_date) = 2025 AND month(open_date) = 12 AND day(open_date) > 1",
     lambda r: and_(r.open_date.year == 2025, r.open_date.month == 12, r.open_date.day > 1)),
    ("month(last_txn_at) = month(current_date) AND year(last_txn_at) = year(current_date)",
     lambda r: None if r.last_txn_at is None else (r.last_txn_at.month, r.last_txn_at.year) == (r.today.month, r.today.year)),
    ("coalesce(aum_avg_m, 0) < 1000", lambda r: (r.aum_avg_m if r.aum_avg_m is not None else 0) < 1000),
    ("aum_avg_m / 10000 >= 50", lambda r: cmp(None if r.aum_avg_m is None else r.aum_avg_m / 10000, ">=", 50)),
    # Division by zero gives NULL (no match) rather than infinity or an error.
    ("txn_30d / last_txn_days > 1",
     lambda r: None if not r.last_txn_days else r.txn_30d / r.last_txn_days > 1),
    ("aum_avg_m * 1.5 + 100 > 750100", lambda r: cmp(None if r.aum_avg_m is None else r.aum_avg_m * D("1.5") + 100, ">", 750100)),
    ("-age < -60", lambda r: cmp(None if r.age is None else -r.age, "<", -60)),
    ("abs(age - 40) <= 1", lambda r: cmp(None if r.age is None else abs(r.age - 40), "<=", 1)),
    ("round(score) = 1", lambda r: cmp(round_half_up(r.score), "=", 1)),
    ("round(score, 1) = 0.5", lambda r: cmp(round_half_up(r.score, 1), "=", D("0.5"))),
    ("length(trim(name)) = 2", lambda r: None if r.name is None else len(r.name.strip()) == 2),
    ("lower(name) = 'zhangsan' OR upper(name) LIKE 'ZHANG%'",
     lambda r: or_(cmp(r.name.lower(), "=", "zhangsan"), like(r.name.upper(), prefix="ZHANG"))),
    ("least(age, 30) = 30 AND greatest(txn_30d, 5) = 5",
     lambda r: and_(cmp(least(r.age, 30), "=", 30), cmp(greatest(r.txn_30d, 5), "=", 5))),
    ("has_mobile_banking", lambda r: r.has_mobile_banking),
    ("has_mobile_banking = FALSE", lambda r: cmp(r.has_mobile_banking, "=", False)),
    ("NOT has_online_banking OR has_online_banking IS NULL",
     lambda r: or_(not_(r.has_online_banking), r.has_online_banking is None)),
    ('"客户等级" = \'A\'', lambda r: cmp(r.客户等级, "=", "A")),
    ("客户等级 IN ('B', 'C') AND kind = 'individual'", lambda r: and_(in_(r.客户等级, ("B", "C")), r.kind == "individual")),
    ("TRUE", lambda r: True),
    ("FALSE", lambda r: False),
    ("score > 0.45", lambda r: cmp(r.score, ">", 0.45)),
    ("aum_avg_m > 499999.995", lambda r: cmp(r.aum_avg_m, ">", D("499999.995"))),
    ("age > 30 AND (tier = '财富' OR tier = '私行') AND NOT lifecycle IN ('沉睡', '流失')",
     lambda r: and_(cmp(r.age, ">", 30), or_(cmp(r.tier, "=", "财富"), cmp(r.tier, "=", "私行")),
                    not_(in_(r.lifecycle, ("沉睡", "流失"))))),
    (" OR ".join(f"customer_id = {i}" for i in range(3, 300, 2)), lambda r: r.customer_id % 2 == 1 and r.customer_id >= 3),
]


def expected_ids(reading: Reading, today: dt.date = TODAY) -> set[int]:
    """The rows the reading selects, with ``r.today`` as the engine's current_date."""
    return {row["customer_id"] for row in ROWS if reading(SimpleNamespace(**row, today=today)) is True}
