"""Options and edge cases: short windows, an as_of inside a month, progress, bad arguments, and a
contract checker that really catches broken tables."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from finecrm.core.errors import FinecrmError
from finecrm.core.progress import Progress, Task
from finecrm.synth import generate

from .checks import contract_violations, read


def test_short_window_mid_month_as_of(tmp_path: Path) -> None:
    as_of = dt.date(2026, 6, 15)
    rows = generate(tmp_path, customers=400, months=3, seed=5, as_of=as_of)
    assert contract_violations(tmp_path, "parquet", as_of) == []
    assert rows["transactions"] > 0 and rows["campaign_responses"] > 0
    months = sorted(set(read(tmp_path, "account_month").column("month").to_pylist()))
    assert months == [dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)]
    ts = read(tmp_path, "transactions").column("ts")
    assert pc.max(ts).as_py().date() <= as_of and pc.min(ts).as_py().date() >= dt.date(2026, 4, 1)
    days = read(tmp_path, "account_day").column("date")
    assert pc.max(days).as_py() == as_of
    cases = pq.read_table(tmp_path / "_truth" / "cases.parquet")
    assert set(cases.column("typology").to_pylist()) >= {"cycle", "insider_ebanking", "dormant_reactivation"}


def test_one_month_window(tmp_path: Path) -> None:
    rows = generate(tmp_path, customers=300, months=1, seed=8)
    assert contract_violations(tmp_path, "parquet", dt.date(2026, 9, 30)) == []
    assert rows["campaign_responses"] > 0 and rows["transactions"] > 0
    typologies = set(pq.read_table(tmp_path / "_truth" / "cases.parquet").column("typology").to_pylist())
    # an abnormal outflow needs 30 days of balances before it: not possible in a 30-day window
    assert "abnormal_outflow" not in typologies and "insider_ebanking" in typologies


def test_long_window_shows_a_full_year_of_silence(tmp_path: Path) -> None:
    generate(tmp_path, customers=300, months=14, seed=2)
    cases = pq.read_table(tmp_path / "_truth" / "cases.parquet").to_pylist()
    dormant = [c for c in cases if c["typology"] == "dormant_reactivation"]
    assert dormant
    for c in dormant:
        params = dict(kv.split("=") for kv in c["params"].split(";"))
        assert int(params["silent_months_visible"]) >= 12


def test_csv_and_parquet_hold_the_same_bank(tmp_path: Path) -> None:
    generate(tmp_path / "p", customers=300, seed=9)
    generate(tmp_path / "c", customers=300, seed=9, fmt="csv")
    for name in ("customers", "transactions", "account_month", "loan_schedule", "signups"):
        assert read(tmp_path / "p", name).equals(read(tmp_path / "c", name, "csv").cast(
            read(tmp_path / "p", name).schema)), name


class Recorder(Progress):
    def __init__(self) -> None:
        self.tasks: list[tuple[str, int | None]] = []
        self.done = 0

    def task(self, label: str, total: int | None = None) -> Task:
        self.tasks.append((label, total))
        rec = self

        class T(Task):
            def advance(self, n: int = 1) -> None:
                rec.done += n

        return T()


def test_progress_per_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from finecrm.synth import bank

    monkeypatch.setattr(bank, "CHUNK", 150)
    rec = Recorder()
    generate(tmp_path, customers=400, seed=1, progress=rec)
    assert rec.tasks == [("synthetic bank: customers", 400)]
    assert rec.done == 400


@pytest.mark.parametrize("kwargs", [
    {"customers": 10}, {"customers": 500, "months": 0}, {"customers": 500, "fmt": "json"},
    {"customers": 500, "seed": -1},
])
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, object]) -> None:
    with pytest.raises(FinecrmError):
        generate(tmp_path, **kwargs)  # type: ignore[arg-type]


def test_checker_catches_broken_tables(small_parquet: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    src, _ = small_parquet
    out = tmp_path / "broken"
    shutil.copytree(src, out)
    # a duplicated account, an unknown status, a signup cancelled before it was signed
    acc = pq.read_table(out / "accounts" / "part-00000.parquet")
    acc = pa.concat_tables([acc, acc.slice(0, 1)])
    status = acc.column("status").to_pylist()
    status[1] = "lost"
    acc = acc.set_column(acc.schema.get_field_index("status"), acc.schema.field("status"), pa.array(status))
    pq.write_table(acc, out / "accounts" / "part-00000.parquet")
    sg = pq.read_table(out / "signups" / "part-00000.parquet")
    cancelled = sg.column("cancelled_on").to_pylist()
    cancelled[0] = dt.date(1990, 1, 1)
    sg = sg.set_column(sg.schema.get_field_index("cancelled_on"), sg.schema.field("cancelled_on"),
                       pa.array(cancelled, pa.date32()))
    pq.write_table(sg, out / "signups" / "part-00000.parquet")
    (out / "grids.parquet").unlink()
    found = "\n".join(contract_violations(out, "parquet", dt.date(2026, 9, 30)))
    assert "accounts: 1 duplicate keys" in found
    assert "accounts.status: 1 values outside the enum" in found
    assert "signups: 1 rows fail cancel_before_sign" in found
    assert "grids: missing" in found
