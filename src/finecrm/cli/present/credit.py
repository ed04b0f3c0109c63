"""Terminal output of the credit commands: scorecards (report, bins, master scale, batches)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from rich.markup import escape
from rich.table import Table as RichTable

from finecrm.cli.common import out
from finecrm.core.formats import pct


def _psi_word(v: float) -> str:
    return "稳定 stable" if v < 0.1 else ("关注 watch" if v < 0.25 else "偏移 shifted")


def _score(v: float | None) -> str:
    return "—" if v is None else f"{v:g}"


def print_card(doc: Mapping[str, Any], *, bins: bool = True) -> None:
    """A card's report: measures, variables (IV), bins with points, the master scale."""
    t, v = doc["train"], doc["validation"]
    m = RichTable("", "行数 rows", "坏账率 bad rate", "AUC", "KS", "Gini",
                  title=f"评分卡 scorecard {doc['id']}: {escape(doc['inputs']['file'])}")
    for name, d in (("训练 training", t), ("验证 validation", v)):
        m.add_row(name, f"{d['rows']:,}", pct(d["bad_rate"], 1), f"{d['auc']:.3f}", f"{d['ks']:.3f}", f"{d['gini']:.3f}")
    out.print(m)
    s = doc["stability"]
    out.print(f"分数 PSI（验证对训练）score PSI, validation against training: {s['score_psi']:.3f} "
              f"{_psi_word(s['score_psi'])}; 切分 split: {doc['split']['method']}", markup=False)
    p = doc["params"]
    out.print(f"刻度 scale: {p['base_score']:g} 分 points at {p['base_odds']:g}:1, PDO {p['pdo']:g}", markup=False)
    sel = RichTable("变量 variable", "类型 type", "IV", "分箱 bins", "入选 on card", "原因 why not", title="变量 variables")
    for r in doc["selection"]:
        sel.add_row(escape(r["variable"]), r["dtype"], f"{r['iv']:.3f}", str(r["bins"]), "✓" if r["selected"] else "",
                    escape(r["reason"]))
    out.print(sel)
    if bins:
        b = RichTable("变量 variable", "分箱 bin", "样本 count", "占比 share", "坏账率 bad rate", "WoE", "分值 points",
                      title="评分卡 the card")
        for name, rows in groupby(doc["bins"], key=lambda r: r["variable"]):
            for i, r in enumerate(rows):
                b.add_row(escape(name) if i == 0 else "", escape(r["bin"]), f"{r['count']:,}", pct(r["share"], 1),
                          "—" if r["bad_rate"] is None else pct(r["bad_rate"], 1), f"{r['woe']:.3f}", f"{r['points']:g}")
        out.print(b)
    g = RichTable("等级 grade", "分数 score", "违约概率 PD", "验证行数 rows", "验证坏账率 observed",
                  title="主标尺 master scale (PD 由训练数据校准 calibrated on training)")
    for r in doc["grades"]:
        band = f"{_score(r['min_score'])} ≤ s < {_score(r['max_score'])}".replace("— ≤ ", "s < ").replace(" ≤ s < —", "")
        if r["min_score"] is None:
            band = f"< {_score(r['max_score'])}"
        elif r["max_score"] is None:
            band = f"≥ {_score(r['min_score'])}"
        g.add_row(r["grade"], band, pct(r["pd"], 2), f"{r['rows']:,}",
                  "—" if r.get("bad_rate") is None else pct(r["bad_rate"], 1))
    out.print(g)
    for d in doc["dropped"]:
        out.print(f"未使用 not used: {d['column']} — {d['reason']}", markup=False)


def print_trained(doc: Mapping[str, Any]) -> None:
    print_card(doc)
    out.print(f"已保存 saved as {doc['id']}; 启用 activate with: finecrm scorecard activate {doc['id']}", markup=False)


def print_cards(rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        out.print("还没有评分卡 / no scorecards yet: finecrm scorecard train --table FILE --target COLUMN")
        return
    t = RichTable("编号 id", "启用 active", "训练文件 file", "目标列 target", "变量 variables", "验证 AUC", "KS", "PSI",
                  "创建 created", "创建人 by", title="评分卡 scorecards")
    for r in rows:
        t.add_row(r["id"], "✓" if r["active"] else "", escape(r["file"]), escape(r["target_column"]),
                  str(r["variables"]), f"{r['auc']:.3f}", f"{r['ks']:.3f}", f"{r['psi']:.3f}",
                  r["created_at"][:16].replace("T", " "), escape(r["created_by"]))
    out.print(t)


def print_scored(doc: Mapping[str, Any]) -> None:
    t = RichTable("等级 grade", "行数 rows", "违约概率 PD", title=f"已评分 scored {doc['rows']:,} rows with {doc['id']}")
    for g in doc["grades"]:
        t.add_row(g["grade"], f"{g['rows']:,}", pct(g["pd"], 2))
    out.print(t)
    out.print(f"平均分 mean score {doc['mean_score']:.1f}; 分数 PSI 对训练 against training {doc['psi']:.3f} "
              f"{_psi_word(doc['psi'])}; 已写入 written to {doc['out']}", markup=False)
