"""A short, plausible-at-a-glance summary of the published snapshot (printed by build and make demo)."""

from __future__ import annotations

from typing import Any

from finecrm.core.settings import Workspace
from finecrm.engine.snapshots import manifest
from finecrm.services.snapshot.console import open_snapshot


def snapshot_summary(ws: Workspace, build_id: str | None = None) -> dict[str, Any]:
    con, chosen = open_snapshot(ws, build_id)
    try:
        def one(sql: str) -> Any:
            row = con.execute(sql).fetchone()
            return row[0] if row else None

        tiers = con.execute(
            "SELECT kind, tier, count(*) AS customers, round(sum(aum_avg), 0) AS aum FROM customer_360 "
            "WHERE lifecycle <> 'lost' GROUP BY kind, tier ORDER BY kind DESC, min(aum_avg) DESC"
        ).fetchall()
        lifecycle = con.execute(
            "SELECT lifecycle_label, count(*) FROM customer_360 GROUP BY 1 ORDER BY 2 DESC").fetchall()
        segments = con.execute(
            "SELECT segment_label, count(*) FROM customer_360 WHERE segment IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        settings = manifest(ws.snapshots, chosen).get("settings", {})
        tiers_set = settings.get("tiers", {})
        return {
            "snapshot": chosen,
            # the currency the snapshot was built in (bank.currency): amounts and thresholds are in it
            "currency": settings.get("bank", {}).get("currency", ws.settings.bank.currency),
            "thresholds": {kind: [{"tier": b["name"], "min": b["min"]} for b in tiers_set.get(kind, [])]
                           for kind in ("retail", "corporate")},
            "customers": one("SELECT count(*) FROM customer_360 WHERE lifecycle <> 'lost'"),
            "tiers": [{"kind": k, "tier": t, "customers": n, "aum": a} for k, t, n, a in tiers],
            "potential": one("SELECT count(*) FROM customer_360 WHERE tier_potential"),
            "top20_aum_share": one("SELECT max(cum_aum_share) FROM customer_value WHERE aum_customer_share <= 0.2"),
            "top20_contribution_share": one(
                "SELECT max(cum_contribution_share) FROM customer_value WHERE customer_share <= 0.2"),
            "off_counter_rate_90d": one(
                "SELECT sum(txn_off_counter_90d) / nullif(sum(txn_ci_90d), 0) FROM customer_360"),
            "lifecycle": dict(lifecycle),
            "segments": dict(segments),
            "large_depositors": one("SELECT count(*) FROM deposit_watch"),
            "deposit_alerts": one("SELECT count(*) FROM deposit_alerts"),
        }
    finally:
        con.close()
