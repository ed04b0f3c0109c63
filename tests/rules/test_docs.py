"""docs/rules.md stays true: its examples pass, its refused examples are refused, its lists match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finecrm.rules import COLUMN_TYPES, FUNCTION_NAMES, MAX_DEPTH, MAX_LENGTH, RuleError, parse_rule

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


def _doc_columns() -> dict[str, str]:
    # The example columns table: | `name` | type | meaning |
    rows = re.findall(r"^\| `([^`]+)` \| (\w+) \|", DOC, flags=re.M)
    return {name: kind for name, kind in rows if kind in COLUMN_TYPES}


def test_the_doc_declares_example_columns():
    assert {"has_online_banking", "age", "txn_30d", "客户经理"} <= set(_doc_columns())


@pytest.mark.parametrize("example", [b.strip() for b in _blocks("sql")])
def test_every_example_passes(example):
    parse_rule(example, _doc_columns())


@pytest.mark.parametrize("example", [line for b in _blocks("text") for line in b.strip().splitlines()])
def test_every_refused_example_is_refused(example):
    with pytest.raises(RuleError):
        parse_rule(example, _doc_columns())


def test_the_function_table_is_the_allow_list():
    section = DOC.split("### 函数 / Functions", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)", section, flags=re.M))
    assert documented == set(FUNCTION_NAMES)


def test_limits_and_types_are_stated():
    assert f"{MAX_LENGTH}" in DOC
    assert f"{MAX_DEPTH}" in DOC
    for kind in COLUMN_TYPES:
        assert f"`{kind}`" in DOC or f"'{kind}'" in DOC, kind
