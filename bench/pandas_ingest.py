"""Baseline: what a bank analyst would otherwise write to load a folder of exports with pandas.

Reads every table, parses dates, drops duplicate keys and writes Parquet. No quarantine, no
references, no reasons: it shows what finecrm's validation costs against a plain load.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

KEYS = {
    "branches": ["branch_id"], "staff": ["staff_id"], "grids": ["grid_id"], "customers": ["customer_id"],
    "products": ["product_code"], "accounts": ["account_id"], "account_parties": ["account_id", "customer_id"],
    "account_month": ["account_id", "month"], "account_day": ["account_id", "date"], "transactions": ["txn_id"],
    "signups": ["customer_id", "service", "signed_on"], "loans": ["loan_id"], "loan_schedule": ["loan_id", "due_date"],
    "campaign_responses": ["campaign_id", "customer_id"],
}


def read(path: Path) -> pd.DataFrame:
    files = sorted(path.glob("*")) if path.is_dir() else [path]
    frames = [pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f, dtype=str) for f in files]
    return pd.concat(frames, ignore_index=True)


def main(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, key in KEYS.items():
        cands = [p for p in (src / f"{name}.parquet", src / f"{name}.csv", src / name) if p.exists()]
        if not cands:
            continue
        df = read(cands[0])
        for col in df.columns:
            if col.endswith(("_date", "_on")) or col in ("month", "date", "ts"):
                df[col] = pd.to_datetime(df[col], errors="coerce")
        df = df.drop_duplicates(subset=key, keep="first")
        df.to_parquet(out / f"{name}.parquet", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
