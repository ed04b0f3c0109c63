"""Scoring every customer with the active propensity models: finecrm's path against a pandas script.

    python bench/propensity_scoring.py finecrm HOME [--no-reasons]   # what the build's hook does
    python bench/propensity_scoring.py pandas HOME                   # the baseline a user would write

Both read the build month's rows of the published snapshot's ``propensity_features`` mart and score
them with the same fitted pipelines (the workspace's active models, loaded from their skops files).

- ``finecrm``: DuckDB reads the month's rows to Arrow, then ``ml.propensity.scoring.score_table``
  (chunks of 200,000 rows: to pandas, dtypes, predict_proba per model and, unless ``--no-reasons``,
  the top three reasons per customer in Chinese and English) — exactly the build's ``score_propensity``
  hook.
- ``pandas``: ``pd.read_parquet`` of the mart filtered to the month, the same dtype preparation the
  pipelines need, and ``predict_proba`` per model over the whole frame; no reasons.

Prints one JSON line: rows, models, seconds per phase and rows per second. Run it through
``bench/run.py propensity``, which measures wall time and peak memory of the whole process.
"""

from __future__ import annotations

import argparse
import json
import time

import duckdb

from finecrm.core.settings import load_workspace
from finecrm.engine import snapshots
from finecrm.ml.propensity.model import frame
from finecrm.ml.propensity.scoring import Scorer, score_table
from finecrm.services.marketing import model_registry


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("side", choices=["finecrm", "pandas"])
    ap.add_argument("home")
    ap.add_argument("--no-reasons", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ws = load_workspace(args.home)
    build_id = snapshots.published(ws.snapshots)
    assert build_id, "no published snapshot"
    as_of = snapshots.manifest(ws.snapshots, build_id)["as_of"]
    month = as_of[:8] + "01"
    folder = ws.snapshots / build_id / "marts" / "propensity_features"
    loaded = model_registry.load_active(ws)
    assert loaded, "no active model: run 'finecrm model train --product all --activate'"
    t_load = time.perf_counter()
    if args.side == "finecrm":
        con = duckdb.connect()
        table = con.sql(f"SELECT * FROM read_parquet('{folder}/**/*.parquet') WHERE month = DATE '{month}' "
                        "AND lifecycle <> 'lost' ORDER BY customer_id").to_arrow_table()
        t_read = time.perf_counter()
        scorers = {t: Scorer(t, m.version, m.model) for t, m in loaded.items()}
        out = score_table(scorers, table, with_reasons=not args.no_reasons)
        rows = out.num_rows
    else:
        import pandas as pd

        df = pd.read_parquet(folder, filters=[("month", "==", pd.Timestamp(month).date())])
        df = df[df["lifecycle"] != "lost"]
        t_read = time.perf_counter()
        scores = {}
        for t, m in loaded.items():
            scores[t] = m.model.pipeline_.predict_proba(frame(df, m.model.spec))[:, 1]
        rows = len(df)
    t_end = time.perf_counter()
    print(json.dumps({
        "side": args.side + (" (no reasons)" if args.no_reasons else ""), "rows": rows, "models": len(loaded),
        "versions": {t: m.version for t, m in loaded.items()}, "build_id": build_id,
        "seconds_load_models": round(t_load - t0, 2), "seconds_read": round(t_read - t_load, 2),
        "seconds_score": round(t_end - t_read, 2), "seconds_read_and_score": round(t_end - t_load, 2),
        "rows_per_second": round(rows / (t_end - t_load)),
    }))


if __name__ == "__main__":
    main()
