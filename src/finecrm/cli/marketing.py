"""The marketing area's commands: campaigns (drawn here or run elsewhere), audiences, propensity models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from finecrm.cli.common import Home, Json, Quiet, command_context, emit, out, progress_bars, requires
from finecrm.cli.present import marketing as present
from finecrm.core.errors import FinecrmError

campaign_app = typer.Typer(help="营销活动 / campaigns: draw a list with a random control group, assign, detect "
                                "conversions, evaluate; or evaluate a past campaign (action: manage_campaigns).",
                           no_args_is_help=True)
audience_app = typer.Typer(help="目标客群 / audiences: saved, versioned target lists defined by a rule "
                                "(action: manage_campaigns).", no_args_is_help=True)
model_app = typer.Typer(help="倾向模型 / propensity models: train, list, show, activate (action: manage_models).",
                        no_args_is_help=True)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FinecrmError(f"{option}: 须为日期，如 2026-10-01 / expected a date like 2026-10-01, got {value!r}") from None


# --- campaigns (营销活动) ----------------------------------------------------------------------------------


@campaign_app.command("import")
@requires("manage_campaigns")
def campaign_import(
    file: Annotated[Path, typer.Argument(help="活动结果文件 / the campaign file (CSV, Parquet or .xlsx): one row per "
                                              "customer with the arm they were in and the outcome.")],
    arm_column: Annotated[str, typer.Option("--arm-column", help="分组列 / the column with each customer's arm.")],
    control_value: Annotated[str, typer.Option("--control-value", help="对照组取值 / the arm value of the random "
                                               "control group; every other value is a treatment arm.")],
    outcome_column: Annotated[str, typer.Option("--outcome-column", help="结果列 / the outcome column: 1/0, "
                                                "true/false, yes/no, 是/否, Y/N, converted/not.")],
    by: Annotated[list[str] | None, typer.Option("--by", help="按列细分 / break down by this column (repeatable): "
                                                  "branch, manager, tier, propensity decile… (exploratory).")] = None,
    cost_per_contact: Annotated[float | None, typer.Option("--cost-per-contact", min=0, help="单次触达成本（元）/ "
                                                           "cost of contacting one treated customer, in yuan.")]
    = None,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="置信水平 / confidence level of the "
                                              "intervals (significance level = 1 − this).")] = 0.95,
    min_group: Annotated[int, typer.Option("--min-group", min=1, help="细分组每组最少客户数 / fewer customers than "
                                           "this in an arm marks a breakdown group too small to judge.")] = 30,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """评估外部营销活动 / Evaluate a past campaign run outside finecrm: treated versus random control."""
    from finecrm.services.marketing.external_evaluation import evaluate_file, record_evaluation

    with command_context(home) as c:  # the evaluation is audited: it needs the workspace's database
        doc = evaluate_file(file, arm_column=arm_column, control_value=control_value, outcome_column=outcome_column,
                            by=by or (), cost_per_contact=cost_per_contact, confidence=confidence,
                            min_group=min_group)
        record_evaluation(c.session, doc, actor=c.actor)
    if as_json:
        emit(True, doc)
        return
    present.print_external_evaluation(doc)


@campaign_app.command("create")
@requires("manage_campaigns")
def campaign_create(
    name: Annotated[str, typer.Argument(help="活动名称 / the campaign's name (unique).")],
    target: Annotated[str, typer.Option("--target", help="营销产品 / a marketing.targets code, e.g. mobile_banking.")],
    channel: Annotated[str, typer.Option("--channel", help="渠道 / phone, sms, visit, wechat or lobby.")],
    start: Annotated[str, typer.Option("--start", help="开始日期 / first day, e.g. 2026-10-01.")],
    end: Annotated[str, typer.Option("--end", help="结束日期 / last day.")],
    audience: Annotated[str | None, typer.Option("--audience", help="客群 / a saved audience: ID or ID:VERSION "
                                                 "(default: every customer).")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="按倾向分取前 N 名 / the N highest propensities.")]
    = None,
    cap: Annotated[int | None, typer.Option("--cap", min=1, help="规模上限 / at most this many customers.")] = None,
    control_share: Annotated[float | None, typer.Option("--control-share", help="对照组比例 / share held back as the "
                                                        "random control group (default: marketing.control_share).")]
    = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="随机种子 / seed of the draw (default: "
                                             "marketing.seed); recorded.")] = None,
    cost_per_contact: Annotated[float, typer.Option("--cost-per-contact", min=0, help="单次触达成本（元）/ cost of "
                                                    "contacting one customer, in yuan.")] = 0.0,
    offer_product: Annotated[str | None, typer.Option("--offer-product", help="推荐产品 / the product offered "
                                                      "(default: the target's).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """新建营销活动 / Draw a campaign list with a random control group (stratified by tier) and save it."""
    from finecrm.services.marketing.campaigns import create_campaign
    from finecrm.services.marketing.inputs import AudienceRef, CampaignSpec

    ref = AudienceRef.parse(audience, field="--audience")
    spec = CampaignSpec.checked(
        name=name, target=target, channel=channel, start_date=_day(start, "--start"), end_date=_day(end, "--end"),
        audience_id=ref.id if ref else None, audience_version=ref.version if ref else None, top_n=top,
        size_cap=cap, control_share=control_share, seed=seed, cost_per_contact=cost_per_contact,
        offer_product=offer_product)
    with command_context(home) as c:
        doc = create_campaign(c.session, c.serving, c.principal, spec)
    if as_json:
        emit(True, doc)
        return
    present.print_campaign(doc)
    out.print("已记入审计日志 recorded in the audit log (campaign_create). 下一步 next: finecrm campaign assign "
              f"{doc['id']}")


@campaign_app.command("list")
@requires("view_campaigns")
def campaign_list(home: Home = None, as_json: Json = False) -> None:
    """营销活动列表 / List campaigns with their member counts."""
    from finecrm.services.marketing.campaigns import list_campaigns

    with command_context(home) as c:
        docs = list_campaigns(c.session, c.serving, c.principal)
    if as_json:
        emit(True, docs)
        return
    present.print_campaigns(docs)


CampaignId = Annotated[int, typer.Argument(help="活动编号 / the campaign's id (finecrm campaign list).")]


@campaign_app.command("show")
@requires("view_campaigns")
def campaign_show(campaign_id: CampaignId, home: Home = None, as_json: Json = False) -> None:
    """查看营销活动 / Show a campaign: its settings, draw and member counts."""
    from finecrm.services.marketing.campaigns import get_campaign

    with command_context(home) as c:
        doc = get_campaign(c.session, c.serving, c.principal, campaign_id)
    if as_json:
        emit(True, doc)
        return
    present.print_campaign(doc)


@campaign_app.command("assign")
@requires("manage_campaigns")
def campaign_assign(campaign_id: CampaignId, home: Home = None, as_json: Json = False) -> None:
    """分配任务 / Hand out the treatment group: own manager first, then the grid's manager, within capacity."""
    from finecrm.services.marketing.tasks import assign_campaign

    with command_context(home) as c:
        doc = assign_campaign(c.session, c.serving, c.principal, campaign_id)
    if as_json:
        emit(True, doc)
        return
    present.print_assignment(doc)


Reason = Annotated[str, typer.Option("--reason", help="原因 / why (kept with the campaign and in the audit log).")]


@campaign_app.command("close")
@requires("manage_campaigns")
def campaign_close(campaign_id: CampaignId, reason: Reason, home: Home = None, as_json: Json = False) -> None:
    """结束营销活动 / Close a started campaign at its end date or today: open tasks stop being due; outcomes and
    the evaluation stay (audited)."""
    from finecrm.services.marketing.closing import close_campaign

    with command_context(home) as c:
        doc = close_campaign(c.session, c.principal, campaign_id, reason=reason)
    _print_closing(campaign_id, doc, as_json)


@campaign_app.command("cancel")
@requires("manage_campaigns")
def campaign_cancel(campaign_id: CampaignId, reason: Reason, home: Home = None, as_json: Json = False) -> None:
    """取消营销活动 / Cancel a campaign that has not started: its tasks are withdrawn (audited)."""
    from finecrm.services.marketing.closing import cancel_campaign

    with command_context(home) as c:
        doc = cancel_campaign(c.session, c.principal, campaign_id, reason=reason)
    _print_closing(campaign_id, doc, as_json)


def _print_closing(campaign_id: int, doc: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        emit(True, doc)
        return
    zh = "已结束" if doc["status"] == "closed" else "已取消"
    out.print(f"营销活动 {campaign_id} {zh} / campaign {campaign_id} {doc['status']}: {doc['reason']} — "
              f"撤回未完成任务 open tasks withdrawn: {doc['tasks_withdrawn']}. 已记入审计日志 recorded in the audit log.")


@campaign_app.command("detect")
@requires("manage_campaigns")
def campaign_detect(campaign_id: CampaignId, home: Home = None, as_json: Json = False) -> None:
    """识别转化 / Detect conversions of both arms from the published snapshot (product first seen in the window)."""
    from finecrm.services.marketing.conversions import detect_conversions

    with command_context(home) as c:
        doc = detect_conversions(c.session, c.serving, c.principal, campaign_id)
    if as_json:
        emit(True, doc)
        return
    present.print_detection(doc)


@campaign_app.command("evaluate")
@requires("view_campaigns")
def campaign_evaluate(
    campaign_id: CampaignId,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="置信水平 / confidence level.")] = 0.95,
    min_group: Annotated[int, typer.Option("--min-group", min=1, help="细分组每组最少客户数 / smaller groups are "
                                           "flagged too small to judge.")] = 30,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """评估营销活动 / Treated versus control: detected conversions, uplift, significance, cost, breakdowns."""
    from finecrm.services.marketing.evaluation import evaluate_campaign

    with command_context(home) as c:
        doc = evaluate_campaign(c.session, c.serving, c.principal, campaign_id, confidence=confidence,
                                min_group=min_group)
    if as_json:
        emit(True, doc)
        return
    present.print_evaluation(doc)


@campaign_app.command("export")
@requires("export_list")
def campaign_export(
    campaign_id: CampaignId,
    output: Annotated[Path, typer.Option("--output", "-o", help="Excel 文件 / the .xlsx file to write.")],
    home: Home = None,
    as_json: Json = False,
) -> None:
    """导出评估 / Write the evaluation and the member list (names masked) to Excel; audited."""
    from finecrm.services.marketing.evaluation import export_evaluation_xlsx

    if output.suffix.lower() != ".xlsx":
        raise FinecrmError(f"--output: 须为 .xlsx 文件 / expected a .xlsx file, got {output}")
    with command_context(home) as c:
        data, rows = export_evaluation_xlsx(c.session, c.serving, c.principal, campaign_id)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    if as_json:
        emit(True, {"campaign_id": campaign_id, "output": str(output), "rows": rows, "masked": True})
        return
    out.print(f"已写入 wrote {output} ({rows:,} 名客户 members, 已脱敏 masked; 已记入审计日志 audited as export_list)")


# --- audiences (目标客群) ---------------------------------------------------------------------------------

AudienceRule = Annotated[str, typer.Option("--rule", help="规则 / the rule, e.g. \"signed_online AND NOT signed_mobile "
                                             "AND age < 40 AND txn_ci_30d >= 5\" (docs/rules.md).")]
AudienceId = Annotated[int, typer.Argument(help="客群编号 / the audience's id.")]


@audience_app.command("preview")
@requires("manage_campaigns")
def audience_preview(rule: AudienceRule, home: Home = None, as_json: Json = False) -> None:
    """试算客群 / Count a rule's customers now: customers, AUM and tier mix (nothing is saved)."""
    from finecrm.services.marketing.audiences import preview

    with command_context(home) as c:
        doc = preview(c.serving, c.principal, rule)
    if as_json:
        emit(True, doc)
        return
    present.print_audience_preview(doc)


@audience_app.command("create")
@requires("manage_campaigns")
def audience_create(
    name: Annotated[str, typer.Argument(help="客群名称 / the audience's name (unique).")],
    rule: AudienceRule,
    description: Annotated[str, typer.Option("--description", help="说明 / what the list is for.")] = "",
    home: Home = None,
    as_json: Json = False,
) -> None:
    """新建客群 / Save a new audience (version 1), counted against the published snapshot."""
    from finecrm.services.marketing.audiences import create_audience

    with command_context(home) as c:
        doc = create_audience(c.session, c.serving, c.principal, name=name, rule=rule, description=description)
    _audience_out(doc, as_json)


@audience_app.command("update")
@requires("manage_campaigns")
def audience_update(
    audience_id: AudienceId,
    rule: AudienceRule,
    note: Annotated[str, typer.Option("--note", help="修改说明 / why the rule changed.")] = "",
    home: Home = None,
    as_json: Json = False,
) -> None:
    """修改客群规则（新增版本）/ Change an audience's rule: adds a version, earlier versions are kept."""
    from finecrm.services.marketing.audiences import new_version

    with command_context(home) as c:
        doc = new_version(c.session, c.serving, c.principal, audience_id=audience_id, rule=rule, note=note)
    _audience_out(doc, as_json)


@audience_app.command("list")
@requires("manage_campaigns")
def audience_list(home: Home = None, as_json: Json = False) -> None:
    """客群列表 / List saved audiences with their latest version."""
    from finecrm.services.marketing.audiences import list_audiences

    with command_context(home) as c:
        docs = list_audiences(c.session, c.principal)
    if as_json:
        emit(True, docs)
        return
    present.print_audiences(docs)


@audience_app.command("show")
@requires("manage_campaigns")
def audience_show(
    audience_id: AudienceId,
    version: Annotated[int | None, typer.Option("--version", help="版本 / a version (default: the latest).")] = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """查看客群 / Show an audience: its rule, versions and live counts."""
    from finecrm.services.marketing.audiences import get_audience, preview

    with command_context(home) as c:
        doc = get_audience(c.session, audience_id, version)
        shown: dict[str, Any] = {**doc, "live": preview(c.serving, c.principal, doc["rule"])}
    _audience_out(shown, as_json)


def _audience_out(doc: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        emit(True, doc)
        return
    present.print_audience(doc)


# --- propensity models (倾向模型) ------------------------------------------------------------------------------


@model_app.command("train")
@requires("manage_models")
def model_train(
    product: Annotated[str | None, typer.Option("--product", help="营销目标 / a marketing.targets code (e.g. "
                                                "mobile_banking) or 'all': trained from the published snapshot.")]
    = None,
    table: Annotated[Path | None, typer.Option("--table", help="任意表 / train on a file instead (CSV, Parquet or "
                                               ".xlsx) with a yes/no response column, e.g. a past campaign's list.")]
    = None,
    target: Annotated[str | None, typer.Option("--target", help="响应列 / the response column of --table: 1/0, "
                                               "true/false, yes/no, 是/否, Y/N.")] = None,
    time_column: Annotated[str | None, typer.Option("--time-column", help="时间列 / with --table: validate on the "
                                                    "latest 30% of rows by this date (default: random 30%).")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="训练后启用 / make each new model the active one "
                                           "(the next build scores with it).")] = False,
    algorithm: Annotated[str, typer.Option("--algorithm", help="logistic (default) | gbm")] = "logistic",
    home: Home = None,
    as_json: Json = False,
    quiet: Quiet = False,
) -> None:
    """训练倾向模型 / Train a propensity model and report on a later period (or a holdout of --table)."""
    if (product is None) == (table is None):
        raise FinecrmError("请指定 --product 或 --table 之一 / give either --product CODE|all or --table FILE "
                           "--target COLUMN")
    with command_context(home) as c:
        if table is not None:
            from finecrm.services.marketing.propensity_table import record_table_training, train_table

            if not target:
                raise FinecrmError("--table 需要 --target / --table needs --target COLUMN (the response column)")
            if activate:
                raise FinecrmError("--activate 仅用于 --product / --activate applies to --product models (a table's "
                                   "columns are not the build's features)")
            doc = train_table(table, target, time_column=time_column, algorithm=algorithm)
            record_table_training(c.ws, doc, actor=c.actor)
            if as_json:
                emit(True, doc)
            else:
                present.print_table_training(doc)
            return
        if target or time_column:
            raise FinecrmError("--target/--time-column 仅用于 --table / --target and --time-column go with --table")
        from finecrm.services.marketing.propensity import train_targets

        codes = [t.code for t in c.ws.settings.marketing.targets] if product == "all" else [str(product)]
        with progress_bars(quiet or as_json) as progress:
            result = train_targets(c.ws, codes, actor=c.actor, algorithm=algorithm, activate=activate,
                                   progress=progress)
    if as_json:
        emit(True, result)
        return
    present.print_trained(result, c.ws.models, activate=activate)


@model_app.command("list")
@requires("manage_models")
def model_list(home: Home = None, as_json: Json = False) -> None:
    """模型列表 / Every stored model version, the active one per target marked."""
    from finecrm.services.marketing.model_registry import list_models

    with command_context(home) as c:
        rows = list_models(c.ws)
    if as_json:
        emit(True, rows)
        return
    present.print_models(rows)


@model_app.command("show")
@requires("manage_models")
def model_show(
    target: Annotated[str, typer.Argument(help="营销目标 / the target, e.g. mobile_banking.")],
    version: Annotated[str | None, typer.Option("--version", help="版本 / e.g. v002 (default: active, else latest).")]
    = None,
    home: Home = None,
    as_json: Json = False,
) -> None:
    """查看模型报告 / A model version's report, features, cut-offs and data snapshot."""
    from finecrm.services.marketing.model_registry import show

    with command_context(home) as c:
        doc = show(c.ws, target, version)
    if as_json:
        emit(True, doc)
        return
    present.print_model(doc)


@model_app.command("activate")
@requires("manage_models")
def model_activate(
    target: Annotated[str, typer.Argument(help="营销目标 / the target, e.g. mobile_banking.")],
    version: Annotated[str, typer.Argument(help="版本 / the version to activate, e.g. v002.")],
    home: Home = None,
    as_json: Json = False,
) -> None:
    """启用模型版本 / Make a version the active model of its target (audited; the next build uses it)."""
    from finecrm.services.marketing.model_registry import activate

    with command_context(home) as c:
        doc = activate(c.ws, target, version, actor=c.actor)
    if as_json:
        emit(True, doc)
        return
    out.print(f"已启用 activated {doc['target']} {doc['version']} (previous: {doc['previous'] or 'none'}); "
              "下次构建生效 the next 'finecrm build' scores with it", markup=False)
