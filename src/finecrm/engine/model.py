"""What a model is: a named, documented function from tables to a table.

Models name no backend. ``build`` receives the tables it depends on (by name) and the build
context, and returns an Ibis expression. Marts state their grain and key and carry checks that the
runner evaluates after writing them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import ibis
import pyarrow as pa

from finecrm.core.settings import Settings

Layer = Literal["staging", "intermediate", "mart"]


@dataclass(frozen=True)
class Invariant:
    """A condition every row must satisfy (an Ibis boolean over the mart), with its meaning."""

    name: str
    condition: Callable[[ibis.Table], Any]
    doc: str


@dataclass
class BuildContext:
    """Everything a model may read besides its input tables."""

    as_of: date
    settings: Settings
    #: Trains behaviour segments on a sample of features; provided by the build service (ml layer).
    fit_segments: Callable[[Any], Any] | None = None
    #: Scores the build month's propensity features (an Arrow table, one row per customer) with the
    #: active models: returns ``customer_id`` and, per scored target ``t``, ``p_t``, ``reason_t`` and
    #: ``model_t``. Provided by the build service (ml layer); None when no model is active.
    score_propensity: Callable[[pa.Table], pa.Table] | None = None
    #: User-defined segments: (name, predicate over customer_360), compiled by the rules module.
    custom_segments: list[tuple[str, Callable[[ibis.Table], Any]]] = field(default_factory=list)
    #: Approved changes to loans' five-category classification (loan_id, category, reason), from the
    #: operational database; provided by the build service. None: no loan was changed by a person.
    loan_category_overrides: pa.Table | None = None
    #: First month with balances, found by the runner (None: the model finds it itself).
    data_from: date | None = None
    #: Filled in while building: fitted segment model, exposed in the manifest.
    artifacts: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of_month(self) -> date:
        return self.as_of.replace(day=1)


@dataclass(frozen=True)
class Model:
    name: str
    layer: Layer
    deps: tuple[str, ...]
    build: Callable[[Mapping[str, ibis.Table], BuildContext], ibis.Table]
    doc: str
    grain: str = ""
    key: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    #: Intermediates are written to scratch Parquet when large graphs benefit from cutting the plan.
    materialize: bool = False


def int_sum(x: Any) -> Any:
    """Sum of an integer column as BIGINT on every backend.

    DuckDB sums BIGINT into HUGEINT (written to Parquet as DOUBLE) and ibis drops a cast it thinks is
    a no-op, so the sum goes through float64 (exact for counts below 2**53) and back.
    """
    return x.cast("float64").sum().cast("int64")


def count_if(cond: Any) -> Any:
    """How many rows satisfy ``cond``: COUNT … FILTER (WHERE cond), BIGINT on every backend."""
    return cond.count(where=cond)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before, if negative) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of ``month``'s month."""
    return add_months(month, 1) - timedelta(days=1)


def months_between(later: Any, earlier: Any) -> Any:
    """Whole calendar months from ``earlier`` to ``later`` (both dates), BIGINT on every backend.

    (Spark's year()/month() are INT and ibis drops an int64 cast it deems a no-op: hence the detour.)
    """
    months = (later.year() * 12 + later.month()) - (earlier.year() * 12 + earlier.month())
    return months.cast("float64").cast("int64")
