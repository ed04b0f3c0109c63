"""Backtests of the AML rules (规则回测): the typologies run over the warehouse's whole history with other
parameters, without publishing, reported per rule and month — and, given a file of known suspicious accounts or
customers, their recall and precision at the account and at the customer level.

The trial builds the same marts as a build (``aml_alerts`` and ``aml_alert_parties``) through the engine's trial
runner, so a backtest at the bank's own settings gives the published alerts exactly. Parameters are changed with
``rule.param=value`` assignments validated by the settings' own model (an unknown key or a value out of range is
refused naming the key), and every backtest is audited with its assignments and its totals.

An alert "finds" every account among its parties that belongs to this bank (the main account and the
counterparts in its evidence) and their owners; accounts of other banks cannot be labelled by the bank and are
left out of precision. A labelled id is taken as an account where the warehouse has that account, else as a
customer; ids found as neither are counted and listed, never silently dropped.
"""

from __future__ import annotations

import csv
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from finecrm.authz import Principal, require
from finecrm.authz.errors import Forbidden
from finecrm.contract.store import stored_relation
from finecrm.contract.tables import table as contract_table
from finecrm.core.errors import FinecrmError
from finecrm.core.progress import SILENT, Progress
from finecrm.core.settings import Settings, Workspace
from finecrm.core.settings_aml import AmlSettings
from finecrm.db.repositories import record_audit
from finecrm.engine.labels import AML_RULES
from finecrm.engine.model import BuildContext
from finecrm.engine.trial import run_trial

MARTS = ("aml_alerts", "aml_alert_parties")
#: Sections of ``aml`` that are not a rule's parameters (no backtest changes them).
NOT_RULES = ("cases", "large_value")


class BacktestError(FinecrmError):
    """A backtest asked for something it cannot do (the message names what and how to fix it)."""

    exit_code = 2


def parameters(settings: AmlSettings, assignments: Sequence[str]) -> AmlSettings:
    """The AML settings with ``rule.param=value`` assignments applied, validated as finecrm.yaml is."""
    doc = settings.model_dump(mode="json")
    for text in assignments:
        key, sep, raw = text.partition("=")
        rule, dot, param = key.strip().partition(".")
        if not sep or not dot or not param:
            raise BacktestError(f"--set {text!r}: 应为 规则.参数=值 / expected rule.param=value, "
                                f"e.g. fan_in_fan_out.min_in=8")
        if rule not in AML_RULES:
            raise BacktestError(f"--set {text!r}: 没有规则 {rule!r} / no rule {rule!r}; rules: {', '.join(AML_RULES)}")
        if param not in doc[rule]:
            raise BacktestError(f"--set {text!r}: 规则 {rule} 没有参数 {param!r} / rule {rule} has no parameter "
                                f"{param!r}; parameters: {', '.join(doc[rule])}")
        try:
            doc[rule][param] = yaml.safe_load(raw)
        except yaml.YAMLError:
            doc[rule][param] = raw
    try:
        return AmlSettings.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(f"aml.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise BacktestError(f"--set 的值不可用 / a --set value is not usable: {problems}") from None


def read_labels(path: Path) -> list[str]:
    """The ids of a labels file: the first column of each row (CSV or plain text, UTF-8 or GBK), blank rows and
    a header row (a first row naming a column such as ``account_id``) skipped."""
    if not path.is_file():
        raise BacktestError(f"标注文件不存在 / labels file not found: {path}")
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise BacktestError(f"标注文件无法解码 / cannot decode the labels file {path}")
    ids = [row[0].strip() for row in csv.reader(text.splitlines()) if row and row[0].strip()]
    if ids and ids[0].lower() in ("id", "account_id", "customer_id", "account", "customer"):
        ids = ids[1:]
    if not ids:
        raise BacktestError(f"标注文件中没有编号 / the labels file lists no ids: {path}")
    return list(dict.fromkeys(ids))


def backtest(session: Session, ws: Workspace, principal: Principal, *, actor: str, rules: Sequence[str] = (),
             assignments: Sequence[str] = (), labels: Path | None = None, engine: str | None = None,
             progress: Progress = SILENT) -> dict[str, Any]:
    """Run the rules with ``assignments`` over the whole warehouse; alerts per rule and month, and the recall
    and precision against ``labels`` when given. Nothing is published; the run is audited (``aml_backtest``)."""
    require(principal, "work_case")
    if principal.branch_scope is not None:  # the rules read every customer of the bank
        raise Forbidden("work_case", username=principal.username, zh="回测读取全行数据，须具备全行范围",
                        en="run a backtest, which reads the whole bank (whole-bank scope needed)")
    unknown = [r for r in rules if r not in AML_RULES]
    if unknown:
        raise BacktestError(f"没有规则 / no rule: {', '.join(unknown)}; rules: {', '.join(AML_RULES)}")
    chosen = list(rules) or list(AML_RULES)
    aml = parameters(ws.settings.aml, assignments)
    settings: Settings = ws.settings.model_copy(update={"aml": aml})
    wanted = read_labels(labels) if labels is not None else None

    def ctx_factory(day: Any) -> BuildContext:
        return BuildContext(as_of=day, settings=settings)

    out = ws.warehouse / "tmp" / f"backtest-{uuid.uuid4().hex[:12]}"
    try:
        trial = run_trial(raw=ws.raw, work_root=ws.warehouse / "tmp", out=out, ctx_factory=ctx_factory,
                          marts=MARTS, engine=engine or settings.build.engine,
                          memory_limit=settings.build.memory_limit, progress=progress)
        result = _summarise(ws, out, chosen, wanted)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    changed = {f"{rule}.{k}": v for rule in AML_RULES for k, v in getattr(aml, rule).model_dump(mode="json").items()
               if getattr(ws.settings.aml, rule).model_dump(mode="json")[k] != v}
    quality = result.get("labels_quality")
    record_audit(session, actor=actor, action="aml_backtest", target=",".join(chosen),
                 details={"changed": changed, "alerts": result["alerts"], "labels": str(labels) if labels else None,
                          "recall_accounts": quality["all_rules"]["account"]["recall"] if quality else None})
    return {"as_of": trial["as_of"], "data_from": trial["data_from"], "engine": trial["engine"],
            "rules": chosen, "changed": changed, "labels": str(labels) if labels else None, **result}


def _summarise(ws: Workspace, out: Path, rules: list[str], wanted: list[str] | None) -> dict[str, Any]:
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW alerts AS SELECT * FROM read_parquet('{out / 'aml_alerts'}/**/*.parquet')")
        con.execute(f"CREATE VIEW parties AS SELECT * FROM read_parquet('{out / 'aml_alert_parties'}/**/*.parquet')")
        con.execute("CREATE TEMP TABLE chosen(rule VARCHAR)")
        con.executemany("INSERT INTO chosen VALUES (?)", [(r,) for r in rules])
        by_month = [{"rule": r, "month": m, "alerts": int(n), "customers": int(c)} for r, m, n, c in con.execute(
            "SELECT rule, strftime(alert_date, '%Y-%m'), count(*), count(DISTINCT customer_id) FROM alerts "
            "WHERE rule IN (SELECT rule FROM chosen) GROUP BY 1, 2 ORDER BY 1, 2").fetchall()]
        totals = {r: (int(n), int(c)) for r, n, c in con.execute(
            "SELECT rule, count(*), count(DISTINCT customer_id) FROM alerts GROUP BY 1").fetchall()}
        per_rule = [{"rule": r, "rule_zh": AML_RULES[r][0], "rule_en": AML_RULES[r][1],
                     "alerts": totals.get(r, (0, 0))[0], "customers": totals.get(r, (0, 0))[1]} for r in rules]
        summary: dict[str, Any] = {"per_rule": per_rule, "by_month": by_month,
                                   "alerts": sum(p["alerts"] for p in per_rule)}
        if wanted is not None:
            summary["labels_quality"] = _quality(con, ws, rules, wanted)
        return summary
    finally:
        con.close()


def _quality(con: duckdb.DuckDBPyConnection, ws: Workspace, rules: list[str], wanted: list[str]) -> dict[str, Any]:
    """Recall and precision of each chosen rule and of all of them together, at the account and customer level."""
    accounts = stored_relation(ws.raw.resolve(), contract_table("accounts"))
    customers = stored_relation(ws.raw.resolve(), contract_table("customers"))
    if accounts is None or customers is None:
        raise BacktestError("数据仓库中没有账户或客户 / the warehouse holds no accounts or customers: ingest first")
    con.execute(f"CREATE VIEW bank_accounts AS SELECT account_id, customer_id FROM {accounts}")
    con.execute(f"CREATE VIEW bank_customers AS SELECT customer_id FROM {customers}")
    con.execute("CREATE TEMP TABLE labelled(id VARCHAR)")
    con.executemany("INSERT INTO labelled VALUES (?)", [(i,) for i in wanted])
    # An id is an account when the bank has that account, else a customer; the owners of labelled accounts are
    # labelled customers too.
    con.execute("""CREATE TEMP TABLE label_accounts AS
                   SELECT DISTINCT a.account_id FROM labelled l JOIN bank_accounts a ON a.account_id = l.id""")
    con.execute("""CREATE TEMP TABLE label_customers AS
                   SELECT c.customer_id FROM labelled l JOIN bank_customers c ON c.customer_id = l.id
                   UNION SELECT a.customer_id FROM label_accounts la JOIN bank_accounts a USING (account_id)""")
    unmatched = [r[0] for r in con.execute("""
        SELECT id FROM labelled WHERE id NOT IN (SELECT account_id FROM bank_accounts)
                                  AND id NOT IN (SELECT customer_id FROM bank_customers) ORDER BY id""").fetchall()]
    # What each rule found: the bank's own accounts among its alerts' parties, and their owners.
    con.execute("""CREATE TEMP TABLE found AS
                   SELECT DISTINCT p.rule, p.account_id, a.customer_id FROM parties p
                   JOIN bank_accounts a ON a.account_id = p.account_id WHERE p.party_type = 'account'""")
    n_acc = con.execute("SELECT count(*) FROM label_accounts").fetchone()[0]  # type: ignore[index]
    n_cus = con.execute("SELECT count(*) FROM label_customers").fetchone()[0]  # type: ignore[index]

    def level(column: str, labelled_table: str, total: int, where: str, params: list[Any]) -> dict[str, Any]:
        found, hit = con.execute(f"""
            WITH f AS (SELECT DISTINCT {column} AS id FROM found WHERE {where})
            SELECT count(*), count(*) FILTER (WHERE id IN (SELECT {column} FROM {labelled_table})) FROM f""",
                                 params).fetchone()  # type: ignore[misc]
        return {"labelled": int(total), "found": int(found), "true_found": int(hit),
                "recall": round(hit / total, 4) if total else None,
                "precision": round(hit / found, 4) if found else None}

    rows = []
    for r in rules:
        rows.append({"rule": r,
                     "account": level("account_id", "label_accounts", n_acc, "rule = ?", [r]),
                     "customer": level("customer_id", "label_customers", n_cus, "rule = ?", [r])})
    marks = ", ".join("?" for _ in rules)
    together = {"rule": "*",
                "account": level("account_id", "label_accounts", n_acc, f"rule IN ({marks})", list(rules)),
                "customer": level("customer_id", "label_customers", n_cus, f"rule IN ({marks})", list(rules))}
    return {"ids": len(wanted), "accounts": int(n_acc), "customers": int(n_cus), "unmatched": len(unmatched),
            "unmatched_ids": unmatched[:20], "per_rule": rows, "all_rules": together}
