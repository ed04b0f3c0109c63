"""docs/access.md stays true: its generated tables match the code and it states the rules callers follow."""

from __future__ import annotations

from pathlib import Path

from finecrm.authz import ACTIONS, ROLES, mask_id, mask_name, mask_phone
from finecrm.authz.docs import BEGIN, END, generated_block, render_block

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "access.md"
DOC = DOC_PATH.read_text(encoding="utf-8")


def test_generated_tables_match_the_code():
    assert generated_block(DOC) == render_block(), "run: .venv/bin/python -m finecrm.authz.docs"


def test_every_role_and_action_is_in_the_doc():
    block = generated_block(DOC)
    for code in ROLES:
        assert f"`{code}`" in block
    for code in ACTIONS:
        assert f"| `{code}` |" in block


def test_the_doc_is_chinese_first():
    assert DOC.index("个人信息") < DOC.index("English")
    assert DOC.count(BEGIN) == 1 and DOC.count(END) == 1


def test_the_doc_states_the_masking_rules_as_the_code_applies_them():
    for example in (
        f"张三 → {mask_name('张三')}",
        f"欧阳娜娜 → {mask_name('欧阳娜娜')}",
        f"北京某某科技有限公司 → {mask_name('北京某某科技有限公司', corporate=True)}",
        f"13812345678 → {mask_phone('13812345678')}",
        f"110101199001011234 → {mask_id('110101199001011234')}",
    ):
        assert example in DOC, example


def test_the_doc_states_the_rules_callers_must_follow():
    assert "404" in DOC and "403" in DOC
    for phrase in ("audit", "审计", "reason", "事由", "export", "导出"):
        assert phrase in DOC, phrase
