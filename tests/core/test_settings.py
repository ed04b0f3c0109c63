from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml

from finecrm.core.errors import ConfigError, FinecrmError, WorkspaceError
from finecrm.core.settings import (
    DEFAULT_YAML,
    DEFAULT_YAML_FILE,
    Settings,
    UnknownTargetError,
    load_workspace,
    parse_settings,
)


def _leaf_keys(model: type, prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            keys += _leaf_keys(sub, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_default_yaml_is_the_defaults():
    assert parse_settings(yaml.safe_load(DEFAULT_YAML), "finecrm.yaml") == Settings()


def test_default_yaml_is_the_packaged_file_as_it_is():
    """DEFAULT_YAML is the packaged finecrm.default.yaml byte for byte (UTF-8, LF line ends)."""
    packaged = resources.files("finecrm.core").joinpath(DEFAULT_YAML_FILE)
    assert packaged.is_file()
    raw = packaged.read_bytes()
    assert raw.decode("utf-8") == DEFAULT_YAML
    assert b"\r" not in raw and raw.endswith(b"\n") and raw.startswith(b"# finecrm workspace configuration")


def test_every_setting_is_documented_in_the_default_file():
    doc = yaml.safe_load(DEFAULT_YAML)
    for key in _leaf_keys(Settings):
        node = doc
        for part in key.split("."):
            assert part in node, f"{key} missing from DEFAULT_YAML"
            node = node[part]
    # and each key has a comment line above it
    lines = DEFAULT_YAML.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if re.match(r"^  [a-z_]+:", line):
            assert lines[i - 1].strip().startswith("#"), f"no comment above {stripped!r}"


@pytest.mark.parametrize(
    ("doc", "key", "expected"),
    [
        ({"warehouse": {"keep_snapshots": 0}}, "warehouse.keep_snapshots", "greater than or equal to 1"),
        ({"ingest": {"encoding": "latin1"}}, "ingest.encoding", "'auto'"),
        ({"ingest": {"delimter": ";"}}, "ingest.delimter", "no such key"),
        ({"bank": {"currency": "rmb"}}, "bank.currency", "[A-Z]{3}"),
        ({"tiers": {"retail": [{"name": "A", "min": 5}, {"name": "B", "min": 10}]}}, "tiers.retail", "highest first"),
        ({"tiers": {"retail": [{"name": "A", "min": 5}]}}, "tiers.retail", "start at 0"),
        ({"contribution": {"value_tiers": [{"name": "A", "top_share": 0.5}]}}, "contribution.value_tiers",
         "the last must be 1"),
        ({"build": {"engine": "oracle"}}, "build.engine", "'duckdb'"),
        ({"lifecycle": {"declining_drop": 1.5}}, "lifecycle.declining_drop", "less than 1"),
        ({"aml": {"large_value": {"cash": 0}}}, "aml.large_value.cash", "greater than 0"),
        ({"aml": {"large_value": {"usd_rates": {"usd": 1.0}}}}, "aml.large_value.usd_rates", "ISO 4217"),
        ({"aml": {"large_value": {"transfer_kinds": ["cash"]}}}, "aml.large_value.transfer_kinds.0", "'transfer'"),
        ({"aml": {"cycle": {"max_hops": 4}}}, "aml.cycle.max_hops", "less than or equal to 3"),
        ({"aml": {"pass_through": {"max_left_share": 1}}}, "aml.pass_through.max_left_share", "less than 1"),
        ({"collections": {"buckets": [{"code": "A", "up_to_days": 30, "step": "sms"},
                                      {"code": "B", "up_to_days": 20, "step": "phone"},
                                      {"code": "C", "up_to_days": None, "step": "legal"}]}},
         "collections.buckets", "up_to_days must increase"),
        ({"collections": {"buckets": [{"code": "A", "up_to_days": 30, "step": "sms"},
                                      {"code": "B", "up_to_days": 60, "step": "phone"}]}},
         "collections.buckets", "the last has none"),
        ({"collections": {"buckets": [{"code": "A", "up_to_days": 30, "step": "call"},
                                      {"code": "B", "up_to_days": None, "step": "legal"}]}},
         "collections.buckets.0.step", "'sms'"),
        ({"collections": {"templates": {"sms": "您好 {nmae}"}}}, "collections.templates.sms", "unknown placeholder(s) {nmae}"),
        ({"collections": {"assignment": {"buckets": ["M9"]}}}, "collections", "not buckets"),
        ({"collections": {"assignment": {"capacity_per_collector": 0}}}, "collections.assignment.capacity_per_collector",
         "greater than or equal to 1"),
        ({"credit": {"classification": {"doubtful_over_days": 80}}}, "credit.classification.doubtful_over_days",
         "must be more than substandard_over_days (90)"),
        ({"credit": {"classification": {"special_mention_over_days": 90}}},
         "credit.classification.substandard_over_days", "must be more than special_mention_over_days (90)"),
        ({"credit": {"classification": {"loss_over_days": -1}}}, "credit.classification.loss_over_days",
         "greater than or equal to 0"),
        ({"credit": {"npl_days": 90}}, "credit.npl_days", "no such key"),
        ({"workbench": {"visit_frequency_months": {"金卡": 1}}}, "workbench", "金卡 is not a tier of tiers.retail"),
        ({"workbench": {"visit_frequency_months": {"私行": 5}}}, "workbench.visit_frequency_months",
         "must be 1, 2, 3, 4, 6 or 12, got 5"),
        ({"workbench": {"working_weekdays": [1, 8]}}, "workbench.working_weekdays", "ISO weekdays"),
        ({"workbench": {"daily_standard": {"calls": -1}}}, "workbench.daily_standard.calls",
         "greater than or equal to 0"),
        ({"workbench": {"reminders": {"maturity_within_days": 0}}}, "workbench.reminders.maturity_within_days",
         "greater than or equal to 1"),
    ],
)
def test_config_errors_name_file_key_and_expectation(doc, key, expected):
    with pytest.raises(ConfigError) as info:
        parse_settings(doc, "/x/finecrm.yaml")
    msg = str(info.value)
    assert "/x/finecrm.yaml" in msg and f"'{key}'" in msg and expected in msg


def test_broken_yaml_names_the_line(tmp_path):
    (tmp_path / "finecrm.yaml").write_text("bank:\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_workspace(tmp_path)
    assert "finecrm.yaml" in str(info.value) and "line" in str(info.value)


def test_not_a_workspace_says_what_to_do(tmp_path):
    with pytest.raises(WorkspaceError, match="finecrm init"):
        load_workspace(tmp_path)


def test_marketing_target_by_code():
    marketing = Settings().marketing
    for t in marketing.targets:
        assert marketing.target(t.code) is t
    assert marketing.target("wealth").offer_product == "WM05"
    own = parse_settings({"marketing": {"targets": [
        {"code": "gold", "zh": "黄金", "en": "gold", "kind": "product", "match": "AU01", "value": 300}]}}, "x.yaml")
    assert own.marketing.target("gold").match == "AU01"


def test_an_unknown_marketing_target_is_refused_naming_the_configured_ones():
    marketing = Settings().marketing
    with pytest.raises(UnknownTargetError) as info:
        marketing.target("mortgage")
    err = info.value
    assert isinstance(err, FinecrmError) and err.exit_code == 2
    assert err.code == "mortgage" and err.codes == ["mobile_banking", "wealth", "credit_card", "consumer_loan"]
    assert str(err) == ("没有营销产品 'mortgage'，可选：mobile_banking, wealth, credit_card, consumer_loan / "
                        "no target 'mortgage' in marketing.targets; the targets are: mobile_banking, wealth, "
                        "credit_card, consumer_loan")
    with pytest.raises(UnknownTargetError, match="the targets are: none"):
        parse_settings({"marketing": {"targets": []}}, "x.yaml").marketing.target("wealth")
    with pytest.raises(UnknownTargetError):
        marketing.target("Wealth")  # codes are matched exactly
