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
    for old in ("bank", "ws", "pandas"):  # only this suite's folders: the engine suite keeps its banks
        shutil.rmtree(OUT / old, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
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


def median_of(cmd: list[str], times: int) -> dict:
    """Run a command several times; the run with the median wall time (and its memory)."""
    runs = sorted((run(cmd) for _ in range(times)), key=lambda m: m.seconds)
    chosen = runs[len(runs) // 2].__dict__
    chosen["runs"] = [m.seconds for m in runs]
    return chosen


def engine(customers: int, months: int, reuse: bool) -> dict:
    """Full build, the customer_360 part alone, and the pandas and raw-SQL baselines."""
    base = ROOT / "bench" / "out" / f"engine-{customers}"
    bank, home = base / "bank", base / "ws"
    if not (reuse and (home / "warehouse" / "raw" / "transactions").is_dir()):
        if not (reuse and (bank / "customers.parquet").is_file()):
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir(parents=True)
            run([FINECRM, "generate", "--customers", str(customers), "--months", str(months), "--seed", "1",
                 "--out", str(bank), "--quiet"])
        shutil.rmtree(home, ignore_errors=True)
        run([FINECRM, "init", "--home", str(home)])
        out_ingest = run([FINECRM, "ingest", str(bank), "--home", str(home), "--quiet"])
        shutil.rmtree(bank)  # the warehouse holds it now; keep the disk free
        (base / "ingest.json").write_text(json.dumps(out_ingest.__dict__))
    raw = home / "warehouse" / "raw"
    txns = duckdb.sql(f"SELECT count(*) FROM read_parquet('{raw}/transactions/*/data.parquet')").fetchall()[0][0]
    out: dict = {"customers": customers, "months": months, "transactions": txns}
    if (base / "ingest.json").is_file():
        out["ingest"] = json.loads((base / "ingest.json").read_text())
    out["build"] = run([FINECRM, "build", "--home", str(home), "--quiet"]).__dict__
    c360 = [PY, str(ROOT / "bench" / "finecrm_customer_360.py"), str(home)]
    # The comparison with the floor is the acceptance figure: median of three runs each, so a
    # hiccup of the machine does not decide it. (Larger banks: one run, they take minutes.)
    times = 3 if customers <= 100_000 else 1
    out["c360_finecrm"] = median_of([*c360, "--no-segments"], times)
    out["c360_finecrm_with_segments"] = run(c360).__dict__
    out["c360_sql_floor"] = median_of([PY, str(ROOT / "bench" / "sql_customer_360.py"), str(raw),
                                       str(base / "sql.parquet")], times)
    try:
        out["c360_pandas"] = run([PY, str(ROOT / "bench" / "pandas_customer_360.py"), str(raw),
                                  str(base / "pandas.parquet")]).__dict__
    except RuntimeError as exc:  # e.g. out of memory at 1M customers: that is the finding
        out["c360_pandas"] = {"failed": str(exc)[-300:]}
    return out


def render_engine(r: dict) -> str:
    def row(label: str, m: dict, note: str) -> str:
        if "failed" in m:
            return f"| {label} | did not finish | — | {note}: {m['failed'][-160:]} |"
        runs = f" (median of {', '.join(f'{x:.1f}' for x in m['runs'])})" if len(m.get("runs", [])) > 1 else ""
        return f"| {label} | {m['seconds']:.1f} s{runs} | {m['peak_rss_mb']:,.0f} MB | {note} |"

    floor = r["c360_sql_floor"]["seconds"]
    ours = r["c360_finecrm"]["seconds"]
    pandas = r["c360_pandas"]
    lines = [
        f"{r['customers']:,} customers × {r['months']} months, {r['transactions']:,} transactions. "
        f"Measured {r['when']} on {r['machine']}.",
        "",
        "| run | wall time | peak memory | what |",
        "|---|---|---|---|",
        *([row("`finecrm ingest` (this bank)", r["ingest"], "validate and store every table")] if "ingest" in r else []),
        row("`finecrm build` (all marts)", r["build"], "every mart written, checked and published"),
        row("finecrm customer_360 part", r["c360_finecrm"], "the models customer_360 needs, marts written and "
            "checked; behaviour segments replaced by a constant (like the baselines)"),
        row("finecrm customer_360 part + segments", r["c360_finecrm_with_segments"], "the same with k-means "
            "behaviour segments"),
        row("raw SQL floor", r["c360_sql_floor"], "`bench/sql_customer_360.py`: one hand-written DuckDB query"),
        row("pandas script", pandas, "`bench/pandas_customer_360.py`"),
        "",
        f"customer_360 part vs the raw-SQL floor: **{ours / floor:.2f}×**"
        + (f"; pandas vs finecrm: **{pandas['seconds'] / ours:.1f}×** slower, "
           f"{pandas['peak_rss_mb'] / r['c360_finecrm']['peak_rss_mb']:.1f}× the memory"
           if "seconds" in pandas else "; pandas did not finish"),
        "",
        "```sh",
        f"python bench/run.py engine --customers {r['customers']}",
        "```",
    ]
    return "\n".join(lines)


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
    ap.add_argument("suite", choices=["foundation", "engine", "all"], nargs="?", default="all")
    ap.add_argument("--customers", type=int, nargs="*", default=None)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--reuse", action="store_true", help="reuse an ingested bank from an earlier run")
    args = ap.parse_args()
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    if args.suite in ("foundation", "all"):
        for n in args.customers or [100_000]:
            result = foundation(n, args.months)
            _finish(f"foundation-{n}", result, render_foundation)
    if args.suite in ("engine", "all"):
        for n in args.customers or [10_000, 100_000]:
            result = engine(n, args.months, args.reuse)
            _finish(f"engine-{n}", result, render_engine)


def _finish(name: str, result: dict, render) -> None:  # type: ignore[no-untyped-def]
    result["machine"] = machine()
    result["when"] = datetime.now(UTC).strftime("%Y-%m-%d")
    (ROOT / "bench" / "results" / f"{name}.json").write_text(json.dumps(result, indent=2))
    write_section(name, render(result))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
