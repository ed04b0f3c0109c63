"""The evaluation of a campaign drawn in finecrm: what did it change, measured against its control group.

- **Conversion** is the *detected* conversion (``campaign_conversions``): the product appeared in the
  bank's data within the window, the same rule for both arms. Treated versus control rates with Wilson
  intervals, the uplift with Newcombe's interval, the pooled z-test, incremental conversions and the cost
  per incremental conversion come from :mod:`finecrm.ml.uplift` (as for ``finecrm campaign import``). The
  cost assumes every treated customer was contacted at ``cost_per_contact`` (intention to treat: the
  whole treatment arm is compared, called or not, because that is what randomisation makes comparable).
- **Self-reported** outcomes (what managers recorded) are shown beside it, labelled as such, with how many
  were confirmed by the data: they cannot be compared with a control group, which nobody calls.
- **Breakdowns** by branch, own manager (at draw time: the only manager both arms have), tier and
  propensity decile are exploratory: p-values are not adjusted and small groups are flagged.
- **Funnel** of the treatment arm: assigned → outcome recorded → reached → interested → converted (self).
- **Before/after** per arm from ``propensity_features``: customers, customer-initiated transactions,
  transaction amount, active share and AUM, months before the start against months from the start —
  labelled 描述性 / descriptive: a change over time is not an effect (the control's change says how much
  would have happened anyway).

Branch heads see the evaluation of the members of their branch only (their scope); the comparison is
still randomised within it, since the control group was drawn within every tier regardless of branch.
"""

from __future__ import annotations

import contextlib
import math
from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from finecrm.authz import NotFound, Principal, mask_table, require
from finecrm.db import repositories
from finecrm.db.models import Campaign, CampaignMember
from finecrm.ml import uplift
from finecrm.services.exports import add_about, sheet, to_bytes
from finecrm.services.marketing.campaigns import (
    MAX_MEMBERS,
    campaign_dict,
    day_of,
    load_campaign,
    require_any,
)
from finecrm.services.marketing.members import ARMS, CONTROL, TREATMENT, scoped, sees_every_member
from finecrm.services.marketing.outputs import (
    ArmResult,
    BeforeAfter,
    BeforeAfterMissing,
    Bilingual,
    Breakdown,
    BreakdownGroup,
    CampaignEvaluation,
    EvaluationCharts,
    FunnelStage,
    MetricChange,
    OutcomeCount,
    SelfReported,
)
from finecrm.services.marketing.sources import (
    FEATURES_MART,
    CampaignDataError,
    require_mart,
    staff,
)
from finecrm.services.marketing.tasks import OUTCOMES
from finecrm.services.snapshot.serving import Serving

DESCRIPTIVE: Bilingual = {"zh": "描述性：前后变化不是活动效果，对照组的变化说明没有活动时会发生多少",
               "en": "descriptive: a change over time is not an effect; the control arm's change shows what "
                     "would have happened anyway"}
SELF_REPORTED: Bilingual = {"zh": "自报（客户经理登记，未经数据核实，无对照组可比）",
                 "en": "self-reported (recorded by managers, not checked against data, no control to compare)"}
EXPLORATORY: Bilingual = {"zh": "探索性：分组 p 值未做多重比较校正，部分分组会偶然显得显著",
               "en": "exploratory: p-values are not adjusted for the number of groups; some will look "
                     "significant by chance"}
BREAKDOWNS = (
    ("branch_id", "支行/网点", "branch"),
    ("manager_id", "管户客户经理（抽样时）", "own manager (at draw time)"),
    ("stratum", "层级", "tier"),
    ("decile", "倾向分十分位", "propensity decile"),
)
NO_GROUP = "(无 none)"
BEFORE_AFTER_MONTHS = 3
METRICS = (
    ("customers", "客户数", "customers"),
    ("txn_ci", "客户主动交易笔数（人均/月）", "customer-initiated transactions (per customer a month)"),
    ("txn_amount", "交易金额（人均/月，元）", "transaction amount (per customer a month, yuan)"),
    ("active_share", "活跃客户占比", "share of customers active in the month"),
    ("aum_avg", "金融资产日均（人均，元）", "average daily AUM (per customer, yuan)"),
)
#: The funnel of the treatment arm, each stage a subset of the one before.
FUNNEL = (
    ("treated", "处理组客户", "treated customers"),
    ("assigned", "已分配", "assigned"),
    ("recorded", "已登记结果", "outcome recorded"),
    ("reached", "已接触", "reached"),
    ("interested", "有意向", "interested"),
    ("converted", "自报成交", "converted (self-reported)"),
)
_REACHED = {"contacted", "interested", "converted", "refused"}
_INTERESTED = {"interested", "converted"}


def _members(session: Session, principal: Principal, c: Campaign) -> list[CampaignMember]:
    members = scoped(principal, repositories.list_campaign_members(session, campaign_id=c.id))
    if not members:
        raise NotFound("营销活动", "campaign", str(c.id))
    return members


def _labels(serving: Serving) -> dict[str, dict[str, str]]:
    """Names of branches and staff for breakdown groups (not personal data of customers)."""
    out: dict[str, dict[str, str]] = {"branch_id": {}, "manager_id": {}}
    path = serving.ws.raw / "branches" / "data.parquet"
    if path.is_file():
        import pyarrow.parquet as pq

        t = pq.read_table(path, columns=["branch_id", "name"]).to_pydict()
        out["branch_id"] = dict(zip(t["branch_id"], t["name"], strict=True))
    with contextlib.suppress(CampaignDataError):  # no staff table: ids are shown as they are
        out["manager_id"] = {k: v.get("name") or k for k, v in staff(serving.ws).items()}
    return out


def _group_value(m: CampaignMember, col: str) -> str:
    v = getattr(m, col)
    return NO_GROUP if v is None else str(v)


def _natural(row: uplift.GroupRow) -> tuple[bool, float, str]:
    """Deciles 1 … 10 in numeric order (uplift.breakdown sorts them as text once "none" is among them), and the
    group without a value last."""
    try:
        number = float(row.group)
    except ValueError:
        number = math.inf
    return (row.group == NO_GROUP, number, row.group)


def _funnel(treated: list[CampaignMember]) -> list[FunnelStage]:
    counts = {
        "treated": len(treated),
        "assigned": sum(m.assigned_to is not None for m in treated),
        "recorded": sum(m.outcome is not None for m in treated),
        "reached": sum(m.outcome in _REACHED for m in treated),
        "interested": sum(m.outcome in _INTERESTED for m in treated),
        "converted": sum(m.outcome == "converted" for m in treated),
    }
    return [{"stage": k, "zh": zh, "en": en, "count": counts[k]} for k, zh, en in FUNNEL]


def _self_reported(treated: list[CampaignMember]) -> SelfReported:
    n = len(treated)
    said = [m for m in treated if m.outcome == "converted"]
    confirmed = sum(m.converted_on is not None for m in said)
    outcomes: list[OutcomeCount] = [{"outcome": k, "zh": zh, "en": en, "count": sum(m.outcome == k for m in treated)}
                                    for k, (zh, en) in OUTCOMES.items()]
    outcomes.append({"outcome": None, "zh": "未登记", "en": "not recorded",
                     "count": sum(m.outcome is None for m in treated)})
    return {
        "label": SELF_REPORTED, "treated": n, "converted": len(said),
        "rate": len(said) / n if n else None, "confirmed_by_data": confirmed, "outcomes": outcomes,
    }


def _breakdowns(members: list[CampaignMember], confidence: float, min_group: int,
                labels: dict[str, dict[str, str]]) -> list[Breakdown]:
    import numpy as np

    arms = np.array([m.arm for m in members])
    converted = np.array([m.converted_on is not None for m in members])
    out: list[Breakdown] = []
    for col, zh, en in BREAKDOWNS:
        groups = np.array([_group_value(m, col) for m in members])
        rows = sorted(uplift.breakdown(groups, arms, converted, CONTROL, confidence=confidence,
                                       min_count=min_group), key=_natural)
        names = labels.get(col, {})
        items: list[BreakdownGroup] = [{**r.to_dict(), "label": names.get(r.group, r.group)} for r in rows]
        out.append({
            "by": col, "zh": zh, "en": en, "label": EXPLORATORY, "min_group": min_group,
            "too_small": sum(r.too_small for r in rows), "rows": items,
            "chart": {"categories": [i["label"] for i in items], "treated": [i["rate_treated"] for i in items],
                      "control": [i["rate_control"] for i in items], "uplift": [i["uplift"] for i in items],
                      "low": [i["uplift_ci"][0] for i in items], "high": [i["uplift_ci"][1] for i in items],
                      "too_small": [i["too_small"] for i in items]},
        })
    return out


def _month(v: Any) -> str:
    return str(v)[:7]


def _month_index(text: str) -> int:
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def before_after(serving: Serving, members: list[CampaignMember], start: date, months: int = BEFORE_AFTER_MONTHS
                 ) -> BeforeAfter:
    """Monthly activity and AUM per arm, and the ``months`` before the start month against the ``months``
    from it (as far as the snapshot goes). Descriptive only."""
    f = require_mart(serving, FEATURES_MART, zh="活动前后对比", en="the before/after comparison",
                     columns=("customer_id", "month", "txn_ci", "txn_amount", "aum_avg"))
    arm_size = {a: sum(m.arm == a for m in members) for a in ARMS}
    rows_in = pa.table({"customer_id": pa.array([m.customer_id for m in members], pa.string()),
                        "arm": pa.array([m.arm for m in members], pa.string())})
    with serving.registered(rows_in) as mt:
        j = mt.join(f, "customer_id")
        expr = j.group_by([j.month, j.arm]).aggregate(
            customers=j.customer_id.nunique(),
            txn_ci=j.txn_ci.cast("float64").sum(),
            txn_amount=j.txn_amount.cast("float64").sum(),
            active=(j.txn_ci > 0).cast("float64").sum(),  # float: DuckDB sums BIGINT into HUGEINT (Decimal)
            aum_avg=j.aum_avg.cast("float64").sum(),
        )
        rows = serving.arrow(expr).to_pylist()
    by: dict[tuple[str, str], dict[str, Any]] = {(_month(r["month"]), r["arm"]): r for r in rows}
    all_months = sorted({m for m, _ in by})
    start_i = start.year * 12 + start.month - 1
    before = [m for m in all_months if start_i - months <= _month_index(m) < start_i]
    after = [m for m in all_months if start_i <= _month_index(m) < start_i + months]

    def value(month: str, arm: str, metric: str) -> float | None:
        r = by.get((month, arm))
        if r is None or not r["customers"]:
            return None
        n = r["customers"]
        if metric == "customers":
            return float(n)
        if metric == "active_share":
            return r["active"] / n
        return (r[metric] or 0.0) / n

    def mean(values: list[float | None]) -> float | None:
        vs = [v for v in values if v is not None]
        return sum(vs) / len(vs) if vs else None

    series = {metric: {arm: [value(m, arm, metric) for m in all_months] for arm in ARMS} for metric, _, _ in METRICS}
    summary: list[MetricChange] = []
    for metric, zh, en in METRICS:
        for arm in ARMS:
            b = mean([value(m, arm, metric) for m in before])
            a = mean([value(m, arm, metric) for m in after])
            summary.append({"metric": metric, "zh": zh, "en": en, "arm": arm, "before": b, "after": a,
                            "change": a - b if a is not None and b is not None else None,
                            "relative_change": (a - b) / b if a is not None and b else None})
    warnings: list[Bilingual] = []
    if not after:
        warnings.append({"zh": "快照中还没有活动开始后的月份", "en": "the snapshot has no month from the start on yet"})
    return {
        "available": True, "label": DESCRIPTIVE, "start_month": f"{start.year:04d}-{start.month:02d}",
        "months": all_months, "before_months": before, "after_months": after, "arm_members": arm_size,
        "metrics": [{"metric": k, "zh": zh, "en": en} for k, zh, en in METRICS],
        "series": series, "summary": summary, "warnings": warnings,
    }


def evaluate_campaign(session: Session, serving: Serving, principal: Principal, campaign_id: int, *,
                      confidence: float = uplift.CONFIDENCE, min_group: int = uplift.MIN_GROUP) -> CampaignEvaluation:
    """Treated versus control for one campaign, within the principal's scope (see the module doc).

    Returns ``{campaign, scope, confidence, detection, arms, comparison, conclusion, self_reported, funnel,
    breakdowns, before_after, warnings, methods, charts}``. ``comparison`` is None when an arm has no
    member in scope; ``before_after`` is ``{available: false, message}`` without the features mart.
    """
    require_any(principal, "manage_campaigns", "assign_customers")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be between 0.5 and 1, got {confidence}")
    c = load_campaign(session, campaign_id)
    members = _members(session, principal, c)
    treated = [m for m in members if m.arm == TREATMENT]
    control = [m for m in members if m.arm == CONTROL]
    detection = (c.details or {}).get("detection")
    warnings: list[Bilingual] = []
    if detection is None:
        warnings.append({"zh": "尚未识别转化（finecrm campaign detect）：下方转化数均为 0",
                         "en": "conversions have not been detected yet (finecrm campaign detect): every count "
                               "below is 0"})
    elif not detection.get("complete"):
        warnings.append({"zh": f"识别窗口至 {detection['window']['end']} 结束，快照日期 {detection['as_of']}：结果尚不完整",
                         "en": f"the detection window runs to {detection['window']['end']} and the snapshot is "
                               f"as of {detection['as_of']}: the result is not final"})
    drawn_on = str(((c.details or {}).get("snapshot") or {}).get("as_of") or "")
    start = day_of(c.start_date)
    if drawn_on and start is not None and start.isoformat() < drawn_on:
        # The list was drawn from what the data said on drawn_on: whoever took the product between the start
        # and that day was already a holder and left out, in both arms alike — conversions are undercounted.
        warnings.append({"zh": f"活动开始日 {start} 早于抽取名单的快照日期 {drawn_on}：其间已办理的客户不在名单中，"
                               "两组转化都会偏低",
                         "en": f"the campaign starts on {start}, before the data the list was drawn from "
                               f"({drawn_on}): customers who took the product in between were left out, so both "
                               "arms undercount conversions"})
    counts = {TREATMENT: (len(treated), sum(m.converted_on is not None for m in treated)),
              CONTROL: (len(control), sum(m.converted_on is not None for m in control))}
    arms_out: list[ArmResult] = []
    comparison, concl = None, None
    if counts[TREATMENT][0] and counts[CONTROL][0]:
        ev = uplift.evaluate(counts, CONTROL, cost_per_contact=float(c.cost_per_contact or 0.0),
                             confidence=confidence)
        arms_out = [{**a.to_dict(), "zh": ARMS[a.arm][0], "en": ARMS[a.arm][1]} for a in ev.arms]
        comp = ev.comparisons[0]
        comparison = comp.to_dict()
        concl = uplift.conclusion(comp, confidence)
        methods = ev.to_dict()["methods"]
    else:
        warnings.append({"zh": "范围内缺少处理组或对照组客户，无法比较", "en": "one arm has no member in scope: "
                                                                   "nothing to compare"})
        methods = {}
    for name, (n, _) in counts.items():
        if 0 < n < min_group:
            warnings.append({"zh": f"{ARMS[name][0]}只有 {n} 名客户，区间很宽", "en": f"the {name} arm has only {n} "
                             "customers: its interval is wide"})
    labels = _labels(serving)
    ba: BeforeAfter | BeforeAfterMissing
    try:
        ba = before_after(serving, members, day_of(c.start_date) or date.today())
    except CampaignDataError as exc:
        ba = {"available": False, "label": DESCRIPTIVE, "message": str(exc)}
    funnel = _funnel(treated)
    breakdowns = _breakdowns(members, confidence, min_group, labels)
    charts: EvaluationCharts = {
        "arms": {"categories": [a["zh"] + " " + a["en"] for a in arms_out], "rate": [a["rate"] for a in arms_out],
                 "low": [a["rate_ci"][0] for a in arms_out], "high": [a["rate_ci"][1] for a in arms_out]},
        "funnel": [{"name": f"{s['zh']} {s['en']}", "value": s["count"]} for s in funnel],
        "breakdowns": {b["by"]: b["chart"] for b in breakdowns},
        "before_after": {"months": ba["months"], "series": ba["series"]} if ba["available"]
        else {"months": [], "series": {}},
    }
    return {
        "campaign": campaign_dict(c, serving.ws.settings),
        "scope": "all" if sees_every_member(principal) else "branch",
        "confidence": confidence,
        "detection": detection,
        "arms": arms_out,
        "comparison": comparison,
        "conclusion": concl,
        "self_reported": _self_reported(treated),
        "funnel": funnel,
        "breakdowns": breakdowns,
        "before_after": ba,
        "warnings": warnings,
        "methods": methods,
        "charts": charts,
    }


# --- the Excel workbook -------------------------------------------------------------------------------


def _member_sheet_rows(serving: Serving, principal: Principal, members: list[CampaignMember]) -> list[list[Any]]:
    """Every member in scope with a masked name: the names are masked inside the query (``mask_table``)."""
    ids = pa.table({"customer_id": pa.array([m.customer_id for m in members], pa.string())})
    with serving.registered(ids) as t:
        c360 = serving.table("customer_360")
        joined = t.join(c360, "customer_id").select(t.customer_id, c360.kind, c360.name)
        names = {r["customer_id"]: r["name"] for r in serving.arrow(mask_table(principal, joined)).to_pylist()}
    return [[m.customer_id, names.get(m.customer_id), ARMS[m.arm][0], m.stratum, m.branch_id, m.manager_id,
             m.decile, m.assigned_to, OUTCOMES.get(m.outcome or "", (None,))[0], day_of(m.converted_on)]
            for m in members]


def export_evaluation_xlsx(session: Session, serving: Serving, principal: Principal, campaign_id: int, *,
                           ip: str | None = None, confidence: float = uplift.CONFIDENCE,
                           min_group: int = uplift.MIN_GROUP) -> tuple[bytes, int]:
    """The evaluation and the member list (names masked) as an Excel workbook; audited before it is made.

    Needs ``export_list`` besides the evaluation's own access. Returns the file and the member rows.
    """
    from openpyxl import Workbook

    require(principal, "export_list")
    doc = evaluate_campaign(session, serving, principal, campaign_id, confidence=confidence, min_group=min_group)
    c = load_campaign(session, campaign_id)
    members = _members(session, principal, c)
    if len(members) > MAX_MEMBERS:
        raise CampaignDataError(f"最多导出 {MAX_MEMBERS:,} 名客户 / at most {MAX_MEMBERS:,} members per export")
    repositories.record_audit(session, actor=principal.username, action="export_list",
                              target=f"campaign:{c.id}:evaluation",
                              details={"rows": len(members), "masked": True, "ip": ip, "snapshot": serving.build_id,
                                       "scope": doc["scope"]})
    wb = Workbook(write_only=True)
    info = doc["campaign"]
    s = sheet(wb, "评估 evaluation")
    s.append(["营销活动 campaign", f"{info['id']} {info['name']}"])
    s.append(["产品 target", f"{info['target_zh']} {info['target_en']}", info["offer_product"]])
    s.append(["活动期 period", str(info["start_date"]), str(info["end_date"])])
    s.append(["范围 scope", doc["scope"]])
    if doc["detection"]:
        d = doc["detection"]
        s.append(["转化识别 detection", f"{d['window']['start']} – {d['window']['end']}", f"as of {d['as_of']}",
                  "complete" if d["complete"] else "window still open"])
    s.append([])
    s.append(["组 arm", "客户 customers", "转化 conversions (detected)", "转化率 rate", "区间下限 low",
              "区间上限 high"])
    for a in doc["arms"]:
        s.append([f"{a['zh']} {a['en']}", a["customers"], a["conversions"], a["rate"], *a["rate_ci"]])
    comp, concl = doc["comparison"], doc["conclusion"]
    if comp and concl:  # set together
        s.append([])
        s.append(["提升 uplift", comp["uplift"], *comp["uplift_ci"]])
        s.append(["p 值 p-value", comp["p_value"]])
        s.append(["增量转化 incremental conversions", comp["incremental_conversions"], *comp["incremental_ci"]])
        s.append(["总成本 total cost (元)", comp["total_cost"]])
        s.append(["单位增量成本 cost per incremental conversion (元)", comp["cost_per_incremental"]])
        s.append(["结论 conclusion", concl["zh"], concl["en"]])
    sr = doc["self_reported"]
    s.append([])
    s.append([f"{SELF_REPORTED['zh']} / {SELF_REPORTED['en']}"])
    for o in sr["outcomes"]:
        s.append([f"{o['zh']} {o['en']}", o["count"]])
    s.append(["数据核实的自报成交 self-reported conversions confirmed by data", sr["confirmed_by_data"]])
    for w in doc["warnings"]:
        s.append(["注意 note", w["zh"], w["en"]])

    b = sheet(wb, "细分 breakdowns")
    b.append([f"{EXPLORATORY['zh']} / {EXPLORATORY['en']}"])
    b.append(["按 by", "组 group", "名称 label", "处理组 treated", "对照组 control", "处理组转化 conv. treated",
              "对照组转化 conv. control", "提升 uplift", "下限 low", "上限 high", "p", "样本太少 too small"])
    for bd in doc["breakdowns"]:
        for r in bd["rows"]:
            b.append([bd["en"], r["group"], r["label"], r["n_treated"], r["n_control"], r["conversions_treated"],
                      r["conversions_control"], r["uplift"], *r["uplift_ci"], r["p_value"], r["too_small"]])

    f = sheet(wb, "漏斗 funnel")
    for st in doc["funnel"]:
        f.append([f"{st['zh']} {st['en']}", st["count"]])

    ba = doc["before_after"]
    p = sheet(wb, "前后对比 before-after")
    p.append([f"{DESCRIPTIVE['zh']} / {DESCRIPTIVE['en']}"])
    if ba["available"]:
        p.append(["指标 metric", "组 arm", "之前 before", "之后 after", "变化 change"])
        for change in ba["summary"]:
            p.append([f"{change['zh']} {change['en']}", change["arm"], change["before"], change["after"],
                      change["change"]])
    else:
        p.append([ba["message"]])

    m = sheet(wb, "名单 members")
    m.append(["客户号 customer_id", "姓名 name (masked)", "组 arm", "层级 tier", "机构 branch", "管户经理 manager",
              "十分位 decile", "负责人 assigned to", "登记结果 outcome", "识别转化日 converted on"])
    for row in _member_sheet_rows(serving, principal, members):
        m.append(row)
    add_about(wb, build_id=serving.build_id, exported_by=principal.username,
              extra=[["方法 methods", "docs/campaigns.md"]])
    return to_bytes(wb), len(members)
