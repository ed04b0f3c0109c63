"""A generated bank with propensity models: built before and after training, once per test session.

The workspace's configuration adds a product target with a risk level and no fallback (an equity
fund, R4) and offers a riskier wealth product (WM03, R3), so the suitability rules have cases on
both sides. Snapshots: ``early`` (as of a cut-off, the later data unseen), ``plain`` (no model
active) and ``scored`` (the published one, after training and activating every target that has
enough takers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.marketing.propensity import train_targets
from finecrm.services.workspace import init_workspace, open_workspace
from finecrm.synth import generate

N_CUSTOMERS = 5000
SEED = 21
CUTOFF = date(2026, 3, 31)
EXTRA_TARGET = {"code": "equity_fund", "zh": "股票型基金", "en": "equity fund", "kind": "product", "match": "FD02",
                "offer_product": "FD02", "value": 300, "min_age": 18, "max_age": 65,
                "kyc_excluded": ["medium", "high"]}


@dataclass
class PropensityBank:
    home: Path
    bank: Path
    ws: Any
    early: dict[str, Any]  # manifests
    plain: dict[str, Any]
    scored: dict[str, Any]
    training: dict[str, Any]

    def mart(self, manifest: dict[str, Any], name: str) -> duckdb.DuckDBPyRelation:
        return duckdb.sql(f"SELECT * FROM {self.parquet(manifest, name)}")

    def parquet(self, manifest: dict[str, Any], name: str) -> str:
        """SQL naming a mart of a snapshot, e.g. in a FROM clause."""
        return f"read_parquet('{self.ws.snapshots / manifest['build_id'] / 'marts' / name}/**/*.parquet')"

    def raw(self, table: str) -> str:
        return f"read_parquet('{self.ws.raw / table}/**/*.parquet')"


@pytest.fixture(scope="session")
def propensity_bank(tmp_path_factory) -> PropensityBank:
    base = tmp_path_factory.mktemp("propensity")
    bank = base / "bank"
    generate(bank, customers=N_CUSTOMERS, months=12, seed=SEED)
    home = base / "ws"
    init_workspace(home)
    cfg = home / "finecrm.yaml"
    doc = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    targets = [t.model_dump(mode="json") for t in open_workspace(home).settings.marketing.targets]
    for t in targets:
        if t["code"] == "wealth":
            t["offer_product"] = "WM03"
    doc.setdefault("marketing", {})["targets"] = [*targets, EXTRA_TARGET]
    cfg.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ws = open_workspace(home)
    report = ingest(ws, bank)
    assert not report["unusable"], report["unusable"]
    early = build(ws, as_of=CUTOFF)
    plain = build(ws)
    training = train_targets(ws, [t.code for t in ws.settings.marketing.targets], actor="test:analyst",
                             activate=True)
    scored = build(ws)
    assert early["checks_passed"] and plain["checks_passed"] and scored["checks_passed"]
    return PropensityBank(home, bank, ws, early, plain, scored, training)
