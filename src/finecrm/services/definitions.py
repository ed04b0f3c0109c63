"""What each metric and term on the workbench means, in both languages, from the bank's own settings — the one
table behind every ⓘ (issue 13, convention 6: definitions one click away on every page) and the words the
docs use.

A definition names the bank's thresholds and rates where they decide the number (tier bands, value tiers,
spreads, the lifecycle rules, the control share), so what a page says is what the build computed.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing_extensions import TypedDict

from finecrm.core import formats
from finecrm.core.settings import Settings


class Definition(TypedDict):
    """A metric's definition in both languages."""

    zh: str
    en: str


#: (zh, en) templates; ``{zh}``/``{en}`` are the currency's name, the other fields come from the settings.
TERMS: Mapping[str, tuple[str, str]] = {
    "five_categories": ("五级分类：按逾期天数——逾期超过 {sm} 天为关注（0 即有逾期款项），超过 {ss} 天为次级，超过 {dd} 天为可疑，"
                        "超过 {ll} 天为损失，否则正常（2023 年《商业银行金融资产风险分类办法》）。风险经理可调整：调高立即生效，"
                        "调低须另一位风险经理复核。",
                        "Five categories by days past due: more than {sm} (0: any amount overdue) special mention, more "
                        "than {ss} substandard, more than {dd} doubtful, more than {ll} loss, else normal (the 2023 rule). "
                        "A risk officer may change a category: more severe at once, less severe only with a second "
                        "officer's approval."),
    "complaint_deadline": ("答复时限：按投诉类别的工作日数，从受理日的下一个工作日起算（周末和 finecrm.yaml 中的法定节假日不算，"
                           "调休上班日算）；到期仍未答复即为逾期，升级到支行行长，逾期超过 {esc2} 个工作日再升级到总行。客户申诉后"
                           "重新起算 {appeal} 个工作日。",
                           "Deadline: the working days of the complaint's category, counted from the working day after it was "
                           "received (weekends and the holidays listed in finecrm.yaml do not count, make-up days do); not "
                           "answered by then it is overdue and goes to the branch head, and to the head office once more "
                           "than {esc2} working days late. An appeal starts a new deadline of {appeal} working days."),
    "survey_scores": ("满意率：某一维度各题平均分不低于 4 分（满意或非常满意）的答卷所占比例，附 95% Wilson 区间；平均分附 95% "
                      "正态区间；回收率 = 已作答 ÷ 样本量。五个维度：可靠性、响应性、保证性、同情性、有形性。",
                      "Satisfied: the share of respondents whose mean score on a dimension's questions is at least 4 "
                      "(satisfied or very satisfied), with its 95% Wilson interval; the mean score with a 95% normal "
                      "interval; response rate = answered ÷ sample. Five dimensions: reliability, responsiveness, "
                      "assurance, empathy, tangibles."),
    "service_quality": ("服务质量指标（按被投诉机构）：投诉量；每万客户投诉 = 期间投诉量 × 10000 ÷ 机构客户数；按时答复率 = 首次答复"
                        "不晚于答复期限的投诉 ÷ 期间受理且已答复或已到期的投诉；当前逾期 = 仍待答复且已过期限的投诉；申诉次数；"
                        "各维度满意率（期间作答的答卷）；调查回收率（期间抽取的样本）。",
                        "Service-quality indicators (by the branch concerned): complaints; per 10,000 customers = "
                        "complaints in the period × 10,000 ÷ the branch's customers; answered on time = complaints "
                        "first answered by their deadline ÷ complaints of the period answered or past their deadline; "
                        "overdue now = still to answer past the deadline; appeals; satisfied per dimension (answers "
                        "of the period); survey response rate (samples drawn in the period)."),
    "npl_ratio": ("不良率：次级、可疑、损失三类贷款余额之和 ÷ 全部贷款余额（按现行分类）。",
                  "NPL ratio: the balance of substandard, doubtful and loss loans ÷ all loans' balance (final "
                  "categories)."),
    "customers": ("客户数：范围内未流失的客户（有未销户账户或尚未开户的潜在客户）。",
                  "Customers: customers in scope that are not lost (an open account, or potential)."),
    "aum": ("金融资产：活期（含借记卡）+ 定期 + 理财 + 基金 + 保险，按月日均余额合计，{zh}。",
            "AUM: demand deposits (debit cards included) + time deposits + wealth + funds + insurance, "
            "sum of the month's average daily balances, {en}."),
    "deposits": ("存款：活期 + 定期的月日均余额合计，{zh}。", "Deposits: demand + time deposits, month's daily average, {en}."),
    "loans": ("贷款：贷款的月日均余额合计，{zh}。", "Loans: the month's average daily loan balances, {en}."),
    "off_counter_rate": ("柜面替代率：当月客户主动交易中非柜面渠道的占比（不含利息、费用、代发工资/养老金、放款和批量）。",
                         "Off-counter rate: share of the month's customer-initiated transactions made outside "
                         "the counter (interest, fees, salary/pension credits, disbursements and batch excluded)."),
    "new_customers": ("新增客户：当月开立首个账户的客户。", "New customers: opened their first account this month."),
    "lost_customers": ("流失客户：当月所有账户均已销户的客户。", "Lost customers: every account closed this month."),
    "tier_pyramid": ("客户分层：个人按金融资产（{retail}）、对公按存款日均（{corporate}）分层，门槛单位{zh}；连续 {hold} 个月"
                     "低于门槛才降级。",
                     "Tiers: individuals by AUM ({retail}), corporates by deposits ({corporate}), thresholds in "
                     "{en}; a tier is lowered only after {hold} months below its threshold."),
    "pareto": ("二八曲线：按金融资产从高到低排序，前 x% 客户所占金融资产的比例。",
               "Pareto curve: customers ranked by AUM; the share of AUM held by the top x%."),
    "channel_mix": ("渠道结构：近 90 天客户主动交易按渠道的笔数，每个计入柜面替代率的渠道都在内（“其他”为数据中"
                    "未细分的渠道，如跨行转账）。",
                    "Channel mix: customer-initiated transactions in the last 90 days by channel, every channel the "
                    "off-counter rate counts included ('other': channels the data does not name, such as transfers "
                    "with other banks)."),
    "lifecycle_flow": ("生命周期迁移：上月阶段到本月阶段的客户数。",
                       "Lifecycle flows: customers from last month's stage to this month's."),
    "comparison": ("机构/网格对比：本月各机构（或网格）的客户数、金融资产与柜面替代率。",
                   "Branch / grid comparison: this month's customers, AUM and off-counter rate by branch (or grid)."),
    "lifecycle": ("生命周期：新客户（开户不满 {new_months} 个月）、成长（近 {trend} 个月资产增加 {rise} 以上）、衰退"
                  "（减少 {drop} 以上）、沉睡（连续 {dormant} 个月无主动交易）、流失（全部销户）、稳定（其余）。",
                  "Lifecycle: new (first account within {new_months} months), growing (assets up more than {rise} in "
                  "{trend} months), declining (down more than {drop}), dormant ({dormant} months without a "
                  "transaction of their own), lost (every account closed), stable (the rest)."),
    "contribution": ("贡献度（年化）：存款日均 × FTP 利差（活期 {spread_d}、定期 {spread_t}）+ 贷款日均 ×（利率 − "
                     "FTP {ftp}）+ 理财、基金、保险的中间业务收入 + 手续费，{zh}。",
                     "Contribution (a year): deposits × FTP spread (demand {spread_d}, time {spread_t}) + loans × "
                     "(rate − FTP {ftp}) + intermediary income on wealth, funds and insurance + fees, {en}."),
    "value_tier": ("价值层级：按贡献度在全行的排名划分：{value_tiers}。",
                   "Value tier: by the customer's rank of contribution in the bank: {value_tiers}."),
    "segment": ("行为分群：按定期占比、理财基金保险占比、资产增长、消费占比和活跃度对客户聚类，每群按其突出的特征命名；"
                "原因写出该群与全行平均相比高或低的特征。",
                "Behaviour segment: customers clustered on time-deposit share, investment share, AUM growth, "
                "consumption share and activity; each cluster is named by what it stands out on, and its reason "
                "says which features are high or low against the bank's average."),
    "propensity": ("倾向得分：模型估计的客户在接下来一段时间内办理该产品的概率；十分位 1 为得分最高的 10%。",
                   "Propensity: the model's probability that the customer takes up the product in the coming "
                   "period; decile 1 is the top 10% of scores."),
    "next_best": ("下一最佳产品：客户未持有且适合办理（年龄、反洗钱风险、产品风险等级不高于客户风险承受能力）的产品中，"
                  "倾向得分 × 每次成交年化价值最高者。",
                  "Next best product: among products the customer does not hold and is suited to (age, AML risk, "
                  "product risk not above their risk tolerance), the one with the highest propensity × yearly "
                  "value of a sale."),
    "uplift": ("提升：处理组转化率 − 对照组转化率（百分点）。对照组随机留出（默认 {control}）、不被联系，差值即活动"
               "带来的转化；区间与显著性按所选置信水平计算。",
               "Uplift: the treated group's conversion rate minus the control group's, in points. The control "
               "group is held back at random (by default {control}) and not contacted, so the difference is what "
               "the campaign caused; the interval and significance are at the chosen confidence level."),
    "task_state": ("任务状态：待处理 = 尚未登记结果，或客户有意向、等待跟进；今日应办 = 待处理、活动已开始且跟进日期已到"
                   "（未设跟进日期则自活动开始日起）；未到期 = 活动尚未开始或跟进日期未到；已逾期 = 跟进日期已过、或活动"
                   "已结束仍未登记；已完成 = 已登记已联系、已成交、拒绝或联系不上。登记“有意向”须填写跟进日期，到期后"
                   "任务重新变为今日应办。",
                   "Task state: open = nothing recorded yet, or interested and waiting for the follow-up; due = open, "
                   "the campaign has started and the follow-up date has come (without one: from the campaign's "
                   "start); upcoming = the campaign or the follow-up date is later; overdue = the follow-up date has "
                   "passed, or the campaign has ended with nothing recorded; done = contacted, converted, refused or "
                   "unreachable. Interested asks for a follow-up date; on that day the task is due again."),
    "manager_progress": ("客户经理进度（本人可见范围内的活动客户）：已分配 = 分给该经理的营销组客户；已联系 = 已登记"
                         "结果（联系不上除外）；有意向 = 当前结果为有意向；已成交 = 数据中识别到的成交（与效果评估一致，"
                         "不依赖自报）；今日应办、已逾期见任务状态。",
                         "Manager progress (campaign members in your scope): assigned = treatment members given to "
                         "the manager; contacted = an outcome recorded other than unreachable; interested = the "
                         "current outcome is interested; converted = a conversion found in the data (as the "
                         "evaluation counts it, not self-reported); due and overdue as in the task state."),
    "visit_plan": ("走访计划：按客户层级的走访频率（{freq}），每个周期（自 1 月起按频率划分，如每 3 个月即自然季度）"
                   "须走访一次；未列出的层级按需走访。已走访 = 本周期内登记过走访或面谈（任何人登记均算）；逾期 = "
                   "本周期尚未走访，且上一周期也应走访而未走访；待走访 = 其余。计划随每次数据构建按最新层级重新生成。",
                   "Visit plan: by the tier's visit frequency ({freq_en}), one visit in each cycle (cycles counted "
                   "from January: every 3 months = the calendar quarters); tiers not listed are visited on a trigger "
                   "only. Done = a visit or meeting logged in this cycle (by anyone); overdue = not yet visited this "
                   "cycle and owed from the previous cycle too; due = the rest. The plan is made again with each "
                   "build from the latest tiers."),
    "daily_standard": ("每日工作标准（每个工作日）：新客户走访 {std_new} 户、老客户走访 {std_old} 户、电话联系 {std_calls} "
                       "次。新客户走访 = 该客户第一次被登记走访（任何人）；走访含面谈。",
                       "Daily standard per working day: {std_new} visits to new customers, {std_old} visits to "
                       "existing customers and {std_calls} calls. A new-customer visit is the first visit ever logged "
                       "for that customer (by anyone); meetings count as visits."),
    "audience": ("目标客群：按规则（可用字段的条件表达式）圈定的客户名单；每次修改保存为新版本，营销活动始终指向抽取时的"
                 "版本。人数与 AUM 为保存时快照上的数值。",
                 "Audience: the customers a rule (a condition on the documented columns) selects; each edit is a "
                 "new version, and a campaign keeps pointing at the version it was drawn from. Counts and AUM are "
                 "those of the snapshot the version was saved on."),
}


def _bands(settings: Settings, kind: str, lang: str) -> str:
    cur = settings.bank.currency
    parts = [f"{b.name} ≥ {formats.money(b.min, lang, cur)}" if b.min else
             (f"{b.name}（起点）" if lang == "zh" else f"{b.name} (entry)") for b in getattr(settings.tiers, kind)]
    return ("、" if lang == "zh" else ", ").join(parts)


_last: tuple[Settings, dict[str, Definition]] | None = None


def definitions(settings: Settings) -> dict[str, Definition]:
    """Every term's definition, filled in from the workspace's settings (currency, thresholds, rates); made
    once per settings object (a page asks for several; the settings of a running workspace do not change)."""
    global _last
    if _last is not None and _last[0] is settings:
        return _last[1]
    made = _fill(settings)
    _last = (settings, made)
    return made


def _fill(settings: Settings) -> dict[str, Definition]:
    c, lc, cur = settings.contribution, settings.lifecycle, settings.bank.currency
    common = {
        "zh": formats.currency_unit(cur, "zh"), "en": formats.currency_unit(cur, "en"),
        "hold": settings.tiers.downgrade_after_months, "new_months": lc.new_within_months, "trend": lc.trend_months,
        "rise": formats.pct(lc.growing_rise), "drop": formats.pct(lc.declining_drop), "dormant": lc.dormant_months,
        "spread_d": formats.pct(c.deposit_spread.get("deposit", 0), 2),
        "spread_t": formats.pct(c.deposit_spread.get("time_deposit", 0), 2), "ftp": formats.pct(c.loan_ftp_rate, 2),
        "control": formats.pct(settings.marketing.control_share),
        "sm": settings.credit.classification.special_mention_over_days,
        "ss": settings.credit.classification.substandard_over_days,
        "dd": settings.credit.classification.doubtful_over_days, "ll": settings.credit.classification.loss_over_days,
        "std_new": settings.workbench.daily_standard.new_visits,
        "std_old": settings.workbench.daily_standard.existing_visits,
        "std_calls": settings.workbench.daily_standard.calls,
        "freq": "、".join(f"{k} 每 {v} 个月" for k, v in settings.workbench.visit_frequency_months.items()) or "无",
        "freq_en": ", ".join(f"{k} every {v} month{'s' if v > 1 else ''}"
                             for k, v in settings.workbench.visit_frequency_months.items()) or "none",
        "esc2": settings.service.complaints.second_level_after_working_days,
        "appeal": settings.service.complaints.appeal_deadline_working_days,
    }
    by_lang = {
        "zh": {**common, "retail": _bands(settings, "retail", "zh"), "corporate": _bands(settings, "corporate", "zh"),
               "value_tiers": "、".join(f"{t.name}（前 {formats.pct(t.top_share)}）" for t in c.value_tiers)},
        "en": {**common, "retail": _bands(settings, "retail", "en"), "corporate": _bands(settings, "corporate", "en"),
               "value_tiers": ", ".join(f"{t.name} (top {formats.pct(t.top_share)})" for t in c.value_tiers)},
    }
    return {k: {"zh": zh.format(**by_lang["zh"]), "en": en.format(**by_lang["en"])} for k, (zh, en) in TERMS.items()}
