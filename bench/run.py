"""finecrm benchmarks. `make bench` runs them and rewrites the results section of docs/benchmarks.md.

    python bench/run.py foundation --customers 100000 --months 12
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from measure import machine, run

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "benchmarks.md"
FINECRM = str(ROOT / ".venv" / "bin" / "finecrm")
PY = str(ROOT / ".venv" / "bin" / "python")


def rows_in(folder: Path) -> int:
    total = 0
    for f in folder.rglob("*.parquet"):
        if "_truth" not in f.parts:
            total += duckdb.sql(f"SELECT count(*) FROM read_parquet('{f}')").fetchall()[0][0]
    return total


def foundation(customers: int, months: int) -> dict:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    bank = OUT / "bank"
    gen = run([FINECRM, "generate", "--customers", str(customers), "--months", str(months), "--seed", "1",
               "--out", str(bank), "--quiet"])
    n = rows_in(bank)
    home = OUT / "ws"
    run([FINECRM, "init", "--home", str(home)])
    ing = run([FINECRM, "ingest", str(bank), "--home", str(home), "--quiet"])
    again = run([FINECRM, "ingest", str(bank), "--home", str(home), "--quiet"])
    base = run([PY, str(ROOT / "bench" / "pandas_ingest.py"), str(bank), str(OUT / "pandas")])
    return {
        "customers": customers, "months": months, "rows": n,
        "generate": gen.__dict__, "ingest": ing.__dict__, "reingest": again.__dict__, "pandas_load": base.__dict__,
    }


def render_foundation(r: dict) -> str:
    n = r["rows"]

    def line(label: str, m: dict, note: str) -> str:
        return (f"| {label} | {m['seconds']:.1f} s | {n / m['seconds']:,.0f} | {m['peak_rss_mb']:,.0f} MB | {note} |")

    return "\n".join([
        f"Bank: {r['customers']:,} customers × {r['months']} months = **{n:,} rows** in all contract tables "
        f"(Parquet). Measured {r['when']} on {r['machine']}.",
        "",
        "| step | wall time | rows/s | peak memory | what it does |",
        "|---|---|---|---|---|",
        line("`finecrm generate`", r["generate"], "generate the synthetic bank and its ground truth"),
        line("`finecrm ingest`", r["ingest"], "validate every row (types, codes, ranges, keys, references), "
             "quarantine, store"),
        line("`finecrm ingest` again", r["reingest"], "same input again: merges and rewrites, identical files"),
        line("pandas load (baseline)", r["pandas_load"], "`bench/pandas_ingest.py`: read, parse dates, drop "
             "duplicate keys, write — no validation, no quarantine, no references"),
        "",
        "Commands:",
        "```sh",
        f"finecrm generate --customers {r['customers']} --months {r['months']} --seed 1 --out bench/out/bank",
        "finecrm init --home bench/out/ws && finecrm ingest bench/out/bank --home bench/out/ws",
        "python bench/pandas_ingest.py bench/out/bank bench/out/pandas",
        "```",
    ])


def write_section(name: str, body: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("suite", choices=["foundation"], nargs="?", default="foundation")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=12)
    args = ap.parse_args()
    result = foundation(args.customers, args.months)
    result["machine"] = machine()
    result["when"] = datetime.now(UTC).strftime("%Y-%m-%d")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / f"foundation-{args.customers}.json").write_text(json.dumps(result, indent=2))
    write_section(f"foundation-{args.customers}", render_foundation(result))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
