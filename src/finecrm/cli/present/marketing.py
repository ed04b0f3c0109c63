"""Terminal output of the marketing commands: campaigns and their evaluations, audiences, propensity models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table as RichTable

from finecrm.cli.common import err, out
from finecrm.core.formats import interval, p_value, pct, points, times

# --- campaigns (营销活动) ----------------------------------------------------------------------------------


def print_external_evaluation(doc: Mapping[str, Any]) -> None:
    """The evaluation of a campaign file run outside finecrm (``finecrm campaign import``)."""
    i = doc["inputs"]
    level = f"{i['confidence'] * 100:g}%"
    several = len(doc["comparisons"]) > 1
    comps = {c["arm"]: c for c in doc["comparisons"]}
    table = RichTable(
        "组 arm", "客户 customers", "转化 conversions", "转化率 rate", "提升 uplift (pp)",
        "p 值 p-value" + (" (Holm)" if several else ""), "增量转化 incremental conversions",
        "单位增量成本 cost per incremental (元)",
        title=f"营销活动评估 campaign evaluation: {escape(Path(i['file']).name)} ({i['rows']:,} rows)",
        caption=escape(f"[方括号] 为 {level} 置信区间 / [brackets]: {level} confidence intervals; "
                       "pp = 百分点 percentage points"),
    )
    for a in doc["arms"]:
        rate = f"{pct(a['rate'], 2)}\n{interval(a['rate_ci'])}"
        c = comps.get(a["arm"])
        if c is None:
            table.add_row(escape(a["arm"]) + "\n(对照 control)", f"{a['customers']:,}", f"{a['conversions']:,}", rate,
                          "—", "—", "—", "—")
            continue
        p = p_value(c["p_value"]) + (f"\n({p_value(c['p_value_holm'])})" if several else "")
        inc = f"{c['incremental_conversions']:,.1f}\n[{c['incremental_ci'][0]:,.1f}, {c['incremental_ci'][1]:,.1f}]"
        if c["cost_per_contact"] is None:
            cost = "—"
        elif c["cost_per_incremental"] is None:
            cost = "无 none\n(提升 ≤ 0 uplift ≤ 0)"
        else:
            lo, hi = c["cost_per_incremental_range"]
            cost = (f"{c['cost_per_incremental']:,.0f}\n[{'—' if lo is None else f'{lo:,.0f}'}, "
                    f"{'∞' if hi is None else f'{hi:,.0f}'}]")
        table.add_row(escape(a["arm"]), f"{a['customers']:,}", f"{a['conversions']:,}", rate,
                      f"{points(c['uplift'])}\n{interval(c['uplift_ci'], signed=True)}", p, inc, cost)
    out.print(table)
    for line in doc["conclusions"]:
        out.print(("✓ " if line["significant"] else "· ") + line["zh"], markup=False)
        out.print("  " + line["en"], markup=False)
    for b in doc["breakdowns"]:
        col = escape(b["column"])
        bt = RichTable(col, *(["组 arm"] if several else []), "客户 customers\n处理/对照 treated/control",
                       "转化率 rate\n处理/对照 treated/control", f"提升 uplift (pp)\n[{level} CI]", "p 值 p-value",
                       "判断 note", title=f"按 {col} 细分（探索性）/ breakdown by {col} (exploratory)")
        for r in b["rows"]:
            note = "样本太少\ntoo small to judge" if r["too_small"] else ""
            bt.add_row(escape(r["group"]), *([escape(r["arm"])] if several else []),
                       f"{r['n_treated']:,} / {r['n_control']:,}",
                       f"{pct(r['rate_treated'], 2)} / {pct(r['rate_control'], 2)}",
                       f"{points(r['uplift'])} {interval(r['uplift_ci'], signed=True)}", p_value(r["p_value"]), note)
        out.print(bt)
    for w in doc["warnings"]:
        err.print(f"[yellow]注意 note[/yellow]: {escape(w)}")
    out.print("已记入审计日志 recorded in the audit log (campaign_import_evaluated); "
              "方法与解读 methods and how to read this: docs/campaigns.md")


def print_campaign(doc: Mapping[str, Any]) -> None:
    """A campaign drawn in finecrm: its settings, and its member counts (or the draw's)."""
    d = doc.get("details") or {}
    out.print(f"营销活动 campaign {doc['id']}: {doc['name']}  [{doc['status']}]", markup=False)
    out.print(f"产品 target: {doc['target_zh']} {doc['target_en']} ({doc['target']})"
              + (f"  推荐 offer: {doc['offer_product']}" if doc["offer_product"] else ""), markup=False)
    out.print(f"渠道 channel: {doc['channel_zh']} {doc['channel_en']}   活动期 period: {doc['start_date']} – "
              f"{doc['end_date']}   单次触达成本 cost per contact: {doc['cost_per_contact']:g} 元", markup=False)
    out.print(f"对照组比例 control share: {doc['control_share']:g}   随机种子 seed: {doc['seed']}   快照 snapshot: "
              f"{doc['build_id']}", markup=False)
    counts = doc.get("counts")
    if counts:
        t = RichTable("组 arm", "客户 customers", "已分配 assigned", "已登记 outcomes", "识别转化 converted",
                      title=f"名单 members ({'全行 whole bank' if doc.get('scope', 'all') == 'all' else '本机构 your branch'})")
        for arm, c in counts["arms"].items():
            t.add_row(arm, f"{c['members']:,}", f"{c['assigned']:,}", f"{c['outcomes']:,}", f"{c['converted']:,}")
        out.print(t)
        s = RichTable("层级 tier", "处理组 treatment", "对照组 control", title="分层 strata")
        for r in counts["strata"]:
            s.add_row(r["stratum"], f"{r['treatment']:,}", f"{r['control']:,}")
        out.print(s)
    elif d.get("counts"):
        c = d["counts"]
        out.print(f"候选 candidates {c['candidates']:,} → 名单 members {c['members']:,} = 处理组 treatment "
                  f"{c['treatment']:,} + 对照组 control {c['control']:,}")


def print_campaigns(docs: Sequence[Mapping[str, Any]]) -> None:
    t = RichTable("编号 id", "名称 name", "产品 target", "状态 status", "活动期 period", "处理组 treatment",
                  "对照组 control", "已分配 assigned", "识别转化 converted")
    for d in docs:
        arms = d["counts"]["arms"]
        t.add_row(str(d["id"]), d["name"], d["target"], d["status"], f"{d['start_date']} – {d['end_date']}",
                  f"{arms['treatment']['members']:,}", f"{arms['control']['members']:,}",
                  f"{arms['treatment']['assigned']:,}",
                  f"{arms['treatment']['converted']:,} / {arms['control']['converted']:,}")
    out.print(t)


def print_assignment(doc: Mapping[str, Any]) -> None:
    out.print(f"已分配 assigned {doc['assigned']:,} (管户经理 own manager {doc['own_manager']:,}, 网格经理 grid manager "
              f"{doc['grid_manager']:,}); 未分配 left for the branch heads {doc['unassigned']:,} "
              f"(无在岗经理 no active manager {doc['unassigned_reasons']['no_active_manager']:,}, 经理已满 managers full "
              f"{doc['unassigned_reasons']['managers_full']:,}); 每人上限 capacity {doc['capacity']}")
    t = RichTable("工号 staff", "姓名 name", "本活动客户 members")
    for r in doc["per_staff"]:
        t.add_row(r["staff_id"], r["name"] or "", f"{r['members']:,}")
    out.print(t)


def print_detection(doc: Mapping[str, Any]) -> None:
    w = doc["window"]
    out.print(f"识别窗口 window {w['start']} – {w['end']} (活动结束后 {w['horizon_days']} 天 / end + "
              f"{w['horizon_days']} days); 快照 snapshot {doc['snapshot']} as of {doc['as_of']}")
    out.print(f"转化 converted: 处理组 treatment {doc['converted']['treatment']:,}, 对照组 control "
              f"{doc['converted']['control']:,}; 开始前已开通 before the start {doc['adopted_before_start']:,}; "
              f"窗口后 after the window {doc['adopted_after_window']:,}; 变化 changed {doc['changed']:,}")
    if not doc["complete"]:
        err.print("[yellow]注意 note[/yellow]: 窗口尚未结束，结果不完整 / the window is still open: run this again on a "
                  "later snapshot")


def print_evaluation(doc: Mapping[str, Any]) -> None:
    """A campaign drawn in finecrm, treated versus control, with the funnel, breakdowns and before/after."""
    c = doc["campaign"]
    level = f"{doc['confidence'] * 100:g}%"
    t = RichTable("组 arm", "客户 customers", "识别转化 conversions", "转化率 rate", "提升 uplift (pp)", "p 值 p-value",
                  "增量转化 incremental", "单位增量成本 cost per incremental (元)",
                  title=escape(f"营销活动评估 evaluation: {c['id']} {c['name']}"),
                  caption=escape(f"[方括号] 为 {level} 置信区间 / [brackets]: {level} confidence intervals"))
    comp = doc["comparison"]
    for a in doc["arms"]:
        rate = f"{pct(a['rate'], 2)}\n{interval(a['rate_ci'])}"
        if a["arm"] == "control" or comp is None:
            t.add_row(f"{a['zh']} {a['en']}", f"{a['customers']:,}", f"{a['conversions']:,}", rate, "—", "—", "—", "—")
            continue
        cost = "—" if comp["cost_per_incremental"] is None else f"{comp['cost_per_incremental']:,.0f}"
        t.add_row(f"{a['zh']} {a['en']}", f"{a['customers']:,}", f"{a['conversions']:,}", rate,
                  f"{points(comp['uplift'])}\n{interval(comp['uplift_ci'], signed=True)}", p_value(comp["p_value"]),
                  f"{comp['incremental_conversions']:,.1f}", cost)
    out.print(t)
    if doc["conclusion"]:
        out.print(("✓ " if doc["conclusion"]["significant"] else "· ") + doc["conclusion"]["zh"], markup=False)
        out.print("  " + doc["conclusion"]["en"], markup=False)
    sr = doc["self_reported"]
    out.print(f"{sr['label']['zh']} / {sr['label']['en']}: 成交 converted {sr['converted']:,}, 其中数据核实 confirmed by "
              f"data {sr['confirmed_by_data']:,}", markup=False)
    out.print("漏斗 funnel: " + " → ".join(f"{s['zh']} {s['count']:,}" for s in doc["funnel"]), markup=False)
    for b in doc["breakdowns"]:
        bt = RichTable(escape(b["zh"]), "处理/对照 treated/control", "转化率 rate treated/control", "提升 uplift (pp)",
                       "p", "", title=escape(f"按{b['zh']}细分（探索性）/ by {b['en']} (exploratory)"))
        for r in b["rows"]:
            bt.add_row(escape(str(r["label"])), f"{r['n_treated']:,} / {r['n_control']:,}",
                       f"{pct(r['rate_treated'], 2)} / {pct(r['rate_control'], 2)}",
                       f"{points(r['uplift'])} {interval(r['uplift_ci'], signed=True)}", p_value(r["p_value"]),
                       "样本太少 too small" if r["too_small"] else "")
        out.print(bt)
    ba = doc["before_after"]
    if ba.get("available"):
        bt = RichTable("指标 metric", "组 arm", "之前 before", "之后 after", "变化 change",
                       title=escape(f"活动前后（{ba['label']['zh']}）/ before and after ({ba['label']['en']})"))
        for r in ba["summary"]:
            bt.add_row(escape(r["zh"]), r["arm"], *("—" if v is None else f"{v:,.2f}"
                                                   for v in (r["before"], r["after"], r["change"])))
        out.print(bt)
    else:
        err.print(f"[yellow]注意 note[/yellow]: {escape(ba.get('message') or '')}")
    for w in doc["warnings"]:
        err.print(f"[yellow]注意 note[/yellow]: {escape(w['zh'])} / {escape(w['en'])}")


# --- audiences (目标客群) ---------------------------------------------------------------------------------


def print_audience_counts(doc: Mapping[str, Any]) -> None:
    out.print(f"客户 customers: {doc['customers']:,}" + (f"   AUM: {doc['aum']:,.2f} 元" if doc.get("aum") is not None
                                                          else ""))
    table = RichTable("层级 tier", "客户 customers", "占比 share", "AUM (元)", title="层级构成 tier mix")
    for r in doc["tier_mix"]:
        table.add_row(r["tier"], f"{r['customers']:,}", pct(r["share"]),
                      "—" if r["aum"] is None else f"{r['aum']:,.0f}")
    out.print(table)


def print_audience_preview(doc: Mapping[str, Any]) -> None:
    out.print(f"规则 rule: {doc['rule']}   快照 snapshot: {doc['snapshot']}", markup=False)
    print_audience_counts(doc)


def print_audience(doc: Mapping[str, Any]) -> None:
    """A saved audience: its rule and versions, with live counts when the document has them."""
    out.print(f"客群 audience {doc['id']}: {doc['name']} (v{doc['version']} / {doc['latest_version']})", markup=False)
    out.print(f"规则 rule: {doc['rule']}", markup=False)
    for v in doc["versions"]:
        out.print(f"  v{v['version']} {v['created_at']:%Y-%m-%d %H:%M} {v['created_by']}: {v['rule']}"
                  + (f"  ({v['customers']:,})" if v["customers"] is not None else ""), markup=False)
    live = doc.get("live")
    if live is None and doc.get("customers") is not None:
        out.print(f"保存时客户 customers when saved: {doc['customers']:,}")
    if live:
        out.print(f"当前快照 now ({live['snapshot']}):")
        print_audience_counts(live)


def print_audiences(docs: Sequence[Mapping[str, Any]]) -> None:
    table = RichTable("编号 id", "名称 name", "版本 version", "规则 rule", "保存时客户 customers when saved")
    for d in docs:
        table.add_row(str(d["id"]), d["name"], str(d["version"]), d["rule"],
                      "—" if d["customers"] is None else f"{d['customers']:,}")
    out.print(table)


# --- propensity models (倾向模型) ------------------------------------------------------------------------------


def print_model_report(doc: Mapping[str, Any]) -> None:
    """A compact bilingual report: AUC, lift and capture by decile with calibration, top features."""
    v = doc["report"]["validation"]
    m = doc["metrics"]
    if doc.get("source") == "table":
        i = doc["inputs"]
        s = doc["split"]
        title = f"{Path(i['file']).name}: 响应列 response column {i['target_column']} ({i['rows']:,} rows)"
        how = (f"验证 validation: 时间靠后的 30% later period by {s['time_column']} (from {s['validation_from']})"
               if s["method"] == "later period" else f"验证 validation: 分层随机留出 {s['share']:.0%} stratified random "
               f"holdout (seed {s['seed']})")
    else:
        title = (f"{doc['target']} {doc.get('version', '')}: {doc['question']['zh']} / {doc['question']['en']}"
                 f" ({doc['algorithm']})")
        t, va = doc["training"], doc["validation"]
        how = (f"训练截止日 training cut-offs {', '.join(t['cutoffs'])} ({t['rows']:,} rows, {t['takers']:,} takers); "
               f"验证截止日 validation cut-off {va['cutoff']} → {va['label_window'][1]} (later period); "
               f"快照 snapshot {doc['data']['build_id']}")
    out.print(escape(title))
    out.print(escape(how))
    auc = "—" if m["auc"] is None else f"{m['auc']:.3f}"
    train_auc = "—" if m["train_auc"] is None else f"{m['train_auc']:.3f}"
    out.print(f"AUC（验证期）validation AUC: [bold]{auc}[/bold]  (训练 train {train_auc});  验证客户 validation customers "
              f"{v['rows']:,}, 办理 takers {v['takers']:,}, 基准办理率 base rate {pct(v['base_rate'])}")
    table = RichTable("十分位\ndecile", "客户\ncustomers", "办理\ntakers", "办理率\nrate", "预测均值\npredicted",
                      "提升\nlift", "捕获\ncapture", "累计提升\ncum. lift", "累计捕获\ncum. capture",
                      title="按得分十分位（验证期）/ by score decile, validation period (1 = highest scores)")
    for d in v["deciles"]:
        table.add_row(str(d["decile"]), f"{d['customers']:,}", f"{d['takers']:,}", pct(d["rate"]),
                      pct(d["mean_predicted"]), times(d["lift"]), pct(d["capture"]), times(d["cum_lift"]),
                      pct(d["cum_capture"]))
    out.print(table)
    cal = v["calibration"]
    out.print(f"校准 calibration: 平均预测 mean predicted {pct(cal['mean_predicted'])} vs 实际 observed "
              f"{pct(cal['observed'])}; Brier {cal['brier']:.4f} (每组预测与实际见上表 per decile: predicted vs rate)")
    feats = doc["report"]["top_features"][:8]
    if feats:
        out.print("主要特征 top features (" + escape(feats[0]["measure"]) + "):")
        for f in feats:
            out.print(f"  {f['effect'] or '·'} {escape(f['zh'])} / {escape(f['en'])}  {f['weight']:+.3f}")


def print_table_training(doc: Mapping[str, Any]) -> None:
    """A model trained on a file (``--table``): its report, the columns it used and why others were not."""
    print_model_report(doc)
    used = ", ".join(f"{f['column']} ({f['kind']})" for f in doc["features"])
    out.print(f"使用的列 columns used: {used}", markup=False)
    for d in doc["dropped"]:
        out.print(f"未使用 not used: {d['column']} — {d['reason']}", markup=False)
    out.print("模型未保存：表的列不是构建的特征 / not stored: a table's columns are not the build's features; "
              "已记入审计日志 recorded in the audit log (model_train)")


def print_trained(result: Mapping[str, Any], models: Path, *, activate: bool) -> None:
    """Models trained from the snapshot: each one's report and where it was saved; targets skipped and why."""
    for doc in result["trained"]:
        print_model_report(doc)
        state = (f"已启用 activated (previous: {doc['activated']['previous'] or 'none'})" if doc.get("activated")
                 else f"未启用 not active: finecrm model activate {doc['target']} {doc['version']}")
        out.print(f"已保存 saved {models / doc['target'] / doc['version']}; {state}\n", markup=False)
    for s in result["skipped"]:
        err.print(f"[yellow]跳过 skipped[/yellow] {s['target']}: {s['reason']}", markup=False)
    if activate and result["trained"]:
        out.print("下次构建使用新模型 / the next 'finecrm build' scores customers with the active models")


def print_models(rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        out.print("还没有模型 / no models yet: finecrm model train --product all --activate")
        return
    t = RichTable("目标\ntarget", "版本\nversion", "启用\nactive", "算法\nalgorithm", "验证AUC\nvalid. AUC",
                  "验证客户\nvalid. rows", "创建\ncreated", "创建人\nby", title="倾向模型 propensity models")
    for r in rows:
        t.add_row(r["target"], r["version"], "✓" if r["active"] else "", r["algorithm"] or "",
                  "—" if r["auc"] is None else f"{r['auc']:.3f}", f"{r['validation_rows'] or 0:,}",
                  str(r["created_at"] or "")[:16].replace("T", " "), r["created_by"] or "")
    out.print(t)


def print_model(doc: Mapping[str, Any]) -> None:
    """One stored model version: its report and where it came from."""
    print_model_report(doc)
    out.print(f"{'已启用 active' if doc['active'] else '未启用 not active'}; 创建 created {doc['created_at'][:19]} by "
              f"{doc['created_by']}; 特征 {len(doc['features']['kinds'])} features; scikit-learn "
              f"{doc['sklearn_version']}", markup=False)
