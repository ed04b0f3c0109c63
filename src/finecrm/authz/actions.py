"""Every action finecrm knows, declared once, as data.

Routes, API endpoints, exports and CLI commands name one of these codes; ``decide.allowed`` and
``decide.require`` check it. An unknown code raises :class:`UnknownAction` at once (at import time for a
``@declare``-d route), so a typo can never quietly turn into "allowed" or "forbidden".

``personal_data`` marks actions that show or record information about identifiable customers
(个人信息): such pages must be row-scoped (``decide.customer_filter``) and masked
(``masking.mask_record`` / ``masking.mask_table``). Batch processing (ingest, build) is not marked:
it shows counts and reasons, not people — quarantined rows shown on the data-status page must be masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from finecrm.authz.errors import UnknownAction

#: Pseudo-action for what needs no login at all: the login page, static files, the health check.
#: It must be declared explicitly, so "forgot to declare" is never mistaken for "public".
PUBLIC = "public"
#: Pseudo-action for what any logged-in user may do regardless of role: log out, change own password.
AUTHENTICATED = "authenticated"
PSEUDO_ACTIONS = frozenset({PUBLIC, AUTHENTICATED})


@dataclass(frozen=True)
class Action:
    code: str
    zh: str
    en: str
    personal_data: bool


def _declare(*actions: Action) -> Mapping[str, Action]:
    by_code: dict[str, Action] = {}
    for a in actions:
        if a.code in by_code or a.code in PSEUDO_ACTIONS:
            raise ValueError(f"action {a.code!r} declared twice")
        by_code[a.code] = a
    return MappingProxyType(by_code)


# The order here is the order of the role × action table in docs/access.md: by area of the product.
ACTIONS: Mapping[str, Action] = _declare(
    # Overview and customers
    Action("view_dashboard", "查看首页总览（汇总指标）", "view the dashboard (aggregates)", False),
    Action("view_customer", "查看客户视图（客户全貌）", "view a customer (customer 360)", True),
    Action("search_customers", "查询客户", "search customers", True),
    Action("view_balances", "查看余额与交易明细（否则只见层级）", "view balance and transaction detail (else tier only)", True),
    Action("reveal_pii", "查看完整个人信息（须填写事由，留痕）", "reveal personal data (with a reason, audited)", True),
    Action("export_list", "导出名单（脱敏，留痕）", "export a list (masked, audited)", True),
    # Segments and marketing
    Action("view_segments", "查看客户分层分群", "view tiers and segments", False),
    Action("manage_segments", "定义分层分群规则", "define tiers and segment rules", False),
    Action("view_campaigns", "查看营销活动、名单分配与效果评估（本人范围）", "view campaigns, their assignment and evaluation (own scope)", True),
    Action("manage_campaigns", "管理营销活动与目标名单", "manage campaigns and target lists", True),
    Action("manage_models", "训练、评估与启用倾向模型", "train, review and activate propensity models", False),
    Action("assign_customers", "分配客户与营销名单给客户经理", "assign customers and campaign lists to managers", True),
    # Workbench and grid
    Action("view_own_tasks", "查看本人待办任务", "view own tasks", True),
    Action("record_visit", "登记走访与工作日志", "record visits and work logs", True),
    Action("record_outcome", "登记营销结果", "record campaign outcomes", True),
    Action("record_referral", "登记转介与到店线索", "record referrals and walk-in leads", True),
    Action("view_deposit_watch", "查看大额存款监测与资金流出预警", "view large-depositor watch and outflow alerts", True),
    # Credit and collections
    Action("view_credit", "查看信用评级与授信", "view credit ratings and lines", True),
    Action("manage_scorecards", "训练、评估、启用与导出信用评分卡", "train, review, activate and export credit scorecards",
           False),
    Action("view_early_warnings", "查看贷款风险预警", "view loan early warnings", True),
    Action("work_early_warnings", "处置贷款风险预警（指派、记录，关闭须填写原因）",
           "work loan early warnings (assign, note, close with a reason)", True),
    Action("classify_loans", "调整贷款五级分类（须填写原因）", "change five-category loan classification (with a reason)", True),
    Action("approve_credit", "复核降低风险的信贷决定（分类下调、贷款申请；不能复核本人经办的）",
           "approve credit decisions that lower risk (milder categories, loan applications; never one's own)", True),
    Action("view_collections", "查看催收情况（督导）", "oversee collections", True),
    Action("assign_collections", "改派催收任务（须填写原因）", "reassign overdue loans to collectors (with a reason)",
           False),
    Action("work_collections", "处理催收任务、登记联系与还款承诺", "work collections: contacts and promises to pay", True),
    # AML and audit
    Action("work_case", "处理反洗钱预警与案件", "work AML alerts and cases", True),
    Action("view_audit", "查看审计日志", "view the audit log", True),
    # Service quality
    Action("record_complaint", "受理客户投诉与诉求", "record customer complaints and requests", True),
    Action("handle_complaints", "处理投诉：分派、答复、结案、登记申诉", "handle complaints: assign, reply, close, record appeals",
           True),
    Action("record_feedback", "登记客户需求与产品意见（需求反馈）", "note customers' needs and product feedback", False),
    Action("answer_feedback", "答复需求反馈（产品经理）", "answer fed-back needs (product owners)", False),
    Action("run_surveys", "满意度调查：抽样、录入答卷、查看结果", "satisfaction surveys: draw samples, enter answers, see results",
           True),
    # Performance
    Action("view_kpi", "查看绩效考核指标", "view KPIs", False),
    Action("manage_kpi_targets", "设定与导入考核目标", "set and import KPI targets", False),
    # Data and administration
    Action("view_data_status", "查看数据状态（导入、构建、隔离原因）", "view data status (ingests, builds, quarantine)", False),
    Action("run_ingest", "导入数据", "run an ingest", False),
    Action("run_build", "运行数据构建", "run a build", False),
    Action("manage_users", "管理用户、角色与权限范围", "manage users, roles and scopes", False),
    Action("manage_config", "管理系统配置", "manage configuration", False),
)

ACTION_CODES = frozenset(ACTIONS)
PERSONAL_DATA_ACTIONS = frozenset(code for code, a in ACTIONS.items() if a.personal_data)


def get_action(code: str) -> Action:
    """The declared action ``code``; raises :class:`UnknownAction` for anything else (pseudo-actions too)."""
    try:
        return ACTIONS[code]
    except (KeyError, TypeError):
        raise UnknownAction(code) from None


def check_action(code: str, *, pseudo: bool = False) -> str:
    """Return ``code`` if it is declared (and, with ``pseudo=True``, also PUBLIC/AUTHENTICATED); else raise."""
    if pseudo and isinstance(code, str) and code in PSEUDO_ACTIONS:
        return code
    return get_action(code).code
