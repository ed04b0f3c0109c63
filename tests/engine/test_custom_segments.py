"""User-defined segments from finecrm.yaml: parsed by the rules module, never pasted into SQL."""

from __future__ import annotations

import duckdb
import pytest

from finecrm.core.errors import ConfigError
from finecrm.services.data.build import build
from finecrm.services.data.ingest import ingest
from finecrm.services.workspace import init_workspace, open_workspace

RULE = "signed_online AND NOT signed_mobile AND age < 40 AND txn_ci_30d >= 5"


def workspace_with(tmp_path, bank_dir, custom: str):
    home = tmp_path / "ws"
    init_workspace(home)
    cfg = home / "finecrm.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("  custom: []", custom), encoding="utf-8")
    ws = open_workspace(home)
    ingest(ws, bank_dir)
    return ws


def test_custom_segment_members_are_exactly_the_rule(tmp_path, bank_dir):
    ws = workspace_with(tmp_path, bank_dir, f"""  custom:
    - name: 网银未开手机银行的年轻活跃客户
      rule: "{RULE}"
    - name: 财富及以上
      rule: "tier IN ('财富', '私行') AND lifecycle <> 'lost'"
""")
    m = build(ws)
    marts = ws.snapshots / m["build_id"] / "marts"
    c360 = duckdb.sql(f"SELECT * FROM read_parquet('{marts}/customer_360/*.parquet')")  # noqa: F841
    members = duckdb.sql(f"SELECT * FROM read_parquet('{marts}/customer_custom_segments/*.parquet')")
    got = {r[0] for r in members.filter("segment = '网银未开手机银行的年轻活跃客户'").project("customer_id").fetchall()}
    want = {r[0] for r in duckdb.sql(f"SELECT customer_id FROM c360 WHERE {RULE}").fetchall()}
    assert got == want and want, "the rule selects someone in the generated bank"
    rich = {r[0] for r in members.filter("segment = '财富及以上'").project("customer_id").fetchall()}
    assert rich == {r[0] for r in duckdb.sql(
        "SELECT customer_id FROM c360 WHERE tier IN ('财富', '私行') AND lifecycle <> 'lost'").fetchall()}


@pytest.mark.parametrize(("rule", "fragment"), [
    ("age > (SELECT 1)", "segments.custom[0].rule"),
    ("phone LIKE '138%'", "phone"),
    ("1; DROP TABLE customer_360", "segments.custom[0].rule"),
])
def test_bad_custom_rule_stops_the_build_naming_the_key(tmp_path, bank_dir, rule, fragment):
    ws = workspace_with(tmp_path, bank_dir, f"""  custom:
    - name: bad
      rule: "{rule}"
""")
    with pytest.raises(ConfigError) as info:
        build(ws)
    assert "finecrm.yaml" in str(info.value) and fragment in str(info.value)
    assert not list(ws.snapshots.glob("2*")), "nothing was built"
