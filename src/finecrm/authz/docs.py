"""The roles and the role × action table of docs/access.md, rendered from ``roles`` and ``actions``.

The doc is hand-written except for the block between the markers below; a test fails when that block
and the code drift. Regenerate with ``python -m finecrm.authz.docs [docs/access.md]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from finecrm.authz.actions import ACTIONS
from finecrm.authz.roles import ROLES

BEGIN = "<!-- BEGIN GENERATED from src/finecrm/authz (python -m finecrm.authz.docs); do not edit by hand -->"
END = "<!-- END GENERATED -->"
YES = "✓"


def render_roles() -> str:
    lines = [
        "| 角色 / role | 中文 | English | 可见范围 / rows seen | 默认可查看完整个人信息 / reveal_pii by default |",
        "|---|---|---|---|---|",
    ]
    for r in ROLES.values():
        reveal = YES if "reveal_pii" in r.grants else ""
        lines.append(f"| `{r.code}` | {r.zh} | {r.en} | {r.scope.zh} / {r.scope.en} | {reveal} |")
    return "\n".join(lines)


def render_matrix() -> str:
    roles = list(ROLES.values())
    head = "| 操作 / action | 说明 / description | 个人信息 / personal data | " + " | ".join(
        f"`{r.code}`" for r in roles
    ) + " |"
    lines = [head, "|" + "---|" * (3 + len(roles))]
    for a in ACTIONS.values():
        cells = [YES if a.code in r.grants else "" for r in roles]
        pd = YES if a.personal_data else ""
        lines.append(f"| `{a.code}` | {a.zh} / {a.en} | {pd} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: Personal-data fields as the pages show them, and the masking each gets (authz/masking.py).
_FIELDS = (
    ("姓名/名称", "name", "保留首字 / first character"),
    ("手机号", "phone", "前 3 后 4 / first 3, last 4"),
    ("证件号码", "ID number", "后 4 位 / last 4"),
    ("出生日期", "birth date", "不显示，显示年龄 / withheld, age shown"),
    ("对方户名、账号", "counterparty name, account", "首字；前 4 后 4 / first character; first 4, last 4"),
)


def render_fields() -> str:
    roles = list(ROLES.values())
    lines = ["| 字段 / field | 默认显示 / shown as | " + " | ".join(f"`{r.code}`" for r in roles) + " |",
             "|" + "---|" * (2 + len(roles))]
    for zh, en, shown in _FIELDS:
        cells = ["留痕查看 / reveal" if "reveal_pii" in r.grants else "脱敏 / masked" for r in roles]
        lines.append(f"| {zh} / {en} | {shown} | " + " | ".join(cells) + " |")
    money = [YES if "view_balances" in r.grants else "—" for r in roles]
    lines.append("| 金额（资产、余额、交易、贡献）/ money (AUM, balances, transactions, contribution) | 明文 / in clear | "
                 + " | ".join(money) + " |")
    return "\n".join(lines)


def render_block() -> str:
    return "\n".join(
        [
            BEGIN,
            "",
            "### 角色 / Roles",
            "",
            render_roles(),
            "",
            "### 角色 × 操作 / Role × action",
            "",
            render_matrix(),
            "",
            "### 角色 × 字段 / What each role sees of each field",
            "",
            "个人信息默认脱敏；“留痕查看”指可填写事由后查看明文，每次查看写入审计日志。金额一栏：✓ 为可见，— 为不显示。",
            "Personal data is masked by default; “reveal” means the role may see it in clear after giving a reason, "
            "each reveal audited. Money: ✓ shown, — hidden.",
            "",
            render_fields(),
            "",
            END,
        ]
    )


def generated_block(text: str) -> str:
    """The generated block of a doc's ``text`` (markers included); raises ``ValueError`` if absent."""
    start = text.index(BEGIN)
    end = text.index(END, start) + len(END)
    return text[start:end]


def update(path: Path) -> bool:
    """Rewrite the generated block of ``path``; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    new = text.replace(generated_block(text), render_block())
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path(__file__).resolve().parents[3] / "docs" / "access.md"
    changed = update(path)
    print(f"{path}: {'updated' if changed else 'up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
