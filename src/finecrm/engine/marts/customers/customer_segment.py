"""customer_segment — one row per current (not lost) customer: behaviour segment and its features.

The clustering model is fitted on an evenly spaced sample (every k-th customer by id, identical on
every backend) by the build service's ``fit_segments`` hook, then applied here as a pure
nearest-centroid expression over standardised features.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis

from finecrm.core.errors import FinecrmError
from finecrm.engine.labels import SEGMENTS
from finecrm.engine.model import BuildContext, Model


def features(src: Mapping[str, ibis.Table]) -> ibis.Table:
    cur, act = src["int_customer_current"], src["int_recent_activity"]
    j = cur.filter(cur.lifecycle != "lost").left_join(act, "customer_id")
    aum = ibis.greatest(j.aum_avg, 0.0)
    before = ibis.greatest(j.aum_avg_6m_ago.fill_null(j.aum_avg), 0.0)
    growth = ((aum + 1000.0) / (before + 1000.0)).ln()
    return j.select(
        "customer_id",
        time_deposit_share=ibis.ifelse(aum > 0, j.time_deposit_avg / aum, 0.0),
        investment_share=ibis.ifelse(aum > 0, (j.wealth_avg + j.fund_avg + j.insurance_avg) / aum, 0.0),
        aum_growth=ibis.greatest(ibis.least(growth, 2.0), -2.0),
        consumption_share=j.consumption_90d.fill_null(0.0) / (j.out_90d.fill_null(0.0) + 1.0),
        activity=(j.txn_ci_90d.fill_null(0).cast("float64") + 1.0).ln(),
    )


def build(src: Mapping[str, ibis.Table], ctx: BuildContext) -> ibis.Table:
    if ctx.fit_segments is None:
        raise FinecrmError("customer_segment needs a segment model: the build service provides fit_segments")
    f = features(src)
    size = int(f.count().execute())
    step = max(1, size // max(ctx.settings.segments.sample_size, 1))
    numbered = f.mutate(_n=ibis.row_number().over(ibis.window(order_by="customer_id")))
    sample = numbered.filter(numbered._n % step == 0).drop("_n").order_by("customer_id").to_pyarrow()
    model: dict[str, Any] = ctx.fit_segments(sample)
    ctx.artifacts["segments"] = model
    feats, mean, std, cents = model["features"], model["mean"], model["std"], model["centroids"]
    z = {name: (f[name] - mean[i]) / std[i] for i, name in enumerate(feats)}
    dist = [sum((z[name] - c[i]) ** 2 for i, name in enumerate(feats)) for c in cents]
    nearest = ibis.least(*dist) if len(dist) > 1 else dist[0]
    cluster = ibis.cases(*[(d == nearest, k) for k, d in enumerate(dist)], else_=0)
    f = f.mutate(segment_cluster=cluster, **{f"z_{name}": expr for name, expr in z.items()})
    labels = model["labels"]
    return f.mutate(
        segment=ibis.cases(*[(f.segment_cluster == k, code) for k, code in enumerate(labels)], else_="balanced"),
        segment_label=ibis.cases(*[(f.segment_cluster == k, SEGMENTS.get(code, code))
                                   for k, code in enumerate(labels)], else_=SEGMENTS["balanced"]),
        segment_reason=ibis.cases(*[(f.segment_cluster == k, r) for k, r in enumerate(model["reasons"])],
                                  else_=""),
    )


MODEL = Model(
    "customer_segment", "mart", ("int_customer_current", "int_recent_activity"), build,
    "Behaviour segment per current customer (k-means on a sample, nearest centroid for everyone), with the "
    "features used, their standardised values and what the segment stands out on.",
    grain="customer", key=("customer_id",), not_null=("segment", "segment_label"),
)
