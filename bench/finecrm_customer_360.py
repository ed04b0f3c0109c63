"""finecrm's side of the customer_360 benchmark: the customer_360 part of the build, alone.

Runs the model graph that customer_360 needs (staging → intermediates → customer_value →
customer_segment → customer_360), writing and checking each mart like a real build, into a
scratch snapshot folder. ``--no-segments`` swaps the k-means behaviour segments for a constant, so
the comparison with the pandas and SQL baselines (which have no clustering) is like for like.

    python bench/finecrm_customer_360.py HOME [--no-segments] [--engine duckdb|spark]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import ibis

from finecrm.core.settings import load_workspace
from finecrm.engine.marts.customers import customer_segment
from finecrm.engine.model import Model
from finecrm.engine.registry import BY_NAME
from finecrm.engine.runner import run_build
from finecrm.services.data.build import fit_segments_hook


def closure(name: str) -> list[Model]:
    seen: dict[str, Model] = {}

    def visit(n: str) -> None:
        if n in seen or n not in BY_NAME:
            return
        for d in BY_NAME[n].deps:
            visit(d)
        seen[n] = BY_NAME[n]

    visit(name)
    return list(seen.values())


def constant_segment(src, ctx):  # type: ignore[no-untyped-def]
    cur = src["int_customer_current"]
    return cur.select("customer_id", segment=ibis.literal("balanced"), segment_label=ibis.literal("均衡型"),
                      segment_reason=ibis.literal(""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("--no-segments", action="store_true")
    ap.add_argument("--engine", default="duckdb")
    args = ap.parse_args()
    ws = load_workspace(args.home)
    models = closure("customer_360")
    if args.no_segments:
        models = [Model(m.name, m.layer, m.deps, constant_segment, m.doc, m.grain, m.key)
                  if m.name == customer_segment.MODEL.name else m for m in models]
    root = Path(tempfile.mkdtemp(prefix="bench-c360-", dir=ws.warehouse))
    s = ws.settings
    from finecrm.engine.model import BuildContext

    def ctx(day):  # type: ignore[no-untyped-def]
        return BuildContext(as_of=day, settings=s, fit_segments=fit_segments_hook(s.segments.clusters,
                                                                                  s.segments.seed))

    try:
        run_build(raw=ws.raw, root=root, work_root=ws.warehouse / "tmp", ctx_factory=ctx, engine=args.engine,
                  models=tuple(models), memory_limit=s.build.memory_limit)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
