"""The customer's voice in the synthetic bank: a satisfaction survey's sample and answers, and complaints, with the
true per-branch rates they were drawn from written to ``_truth/``.

These are not contract tables (a bank's survey firm and complaint hotline hand over their own files), so they go to
``out/_voice/`` (the ingest skips folders starting with ``_``) as CSV:

- ``survey_sample.csv`` (customer_id): the individual customers asked, each with probability :data:`INVITE`;
- ``survey_answers.csv`` (customer_id, question, score, text): the answers of those who responded;
- ``complaints.csv`` (customer_id, branch_id, category, received_on, description): complaints of the last 12 months.

Truth (``_truth/survey_rates.csv``: branch_id, dimension, p_satisfied, response_rate; ``_truth/complaint_rates.csv``:
branch_id, customers, per_10k_per_year) — the probabilities below, documented in docs/synthetic-bank.md:

- per branch, a response rate uniform on [0.35, 0.75] and a branch effect uniform on [−0.12, 0.08];
- per branch and dimension, P(satisfied) = clip(base + effect + N(0, 0.04), 0.30, 0.95), with bases reliability
  0.80, responsiveness 0.70, assurance 0.82, empathy 0.75, tangibles 0.72;
- a respondent satisfied on a dimension scores both its questions 4 or 5 (5 with probability 0.45), otherwise
  1, 2 or 3 (probabilities 0.15, 0.35, 0.50): satisfied ⇔ the dimension's mean score ≥ 4, as finecrm counts it;
- one in five respondents leaves a comment;
- complaints per customer per year ~ Poisson(rate_b / 10,000) with rate_b uniform on [20, 150] per branch.

Everything is drawn from its own random stream (spawn key 2), after the bank: the bank drawn for a seed is the same
with or without this module.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

VOICE_STREAM = 2
INVITE = 0.3
BASE = {"reliability": 0.80, "responsiveness": 0.70, "assurance": 0.82, "empathy": 0.75, "tangibles": 0.72}
#: The questionnaire's scale questions per dimension (finecrm's default questionnaire: services/service/questionnaire).
ITEMS = {"reliability": ("rel_1", "rel_2"), "responsiveness": ("res_1", "res_2"), "assurance": ("ass_1", "ass_2"),
         "empathy": ("emp_1", "emp_2"), "tangibles": ("tan_1", "tan_2")}
CATEGORIES = ("service_attitude", "waiting_time", "fees", "product", "e_banking", "collections")
#: What a customer says, per category (the description column of complaints.csv).
SAID = {
    "service_attitude": "柜员态度冷淡，问了两遍不耐烦", "waiting_time": "排队一个多小时，只开了两个窗口",
    "fees": "短信通知费没有告知就扣了", "product": "理财产品风险没有讲清楚", "e_banking": "手机银行转账多次失败",
    "collections": "催收电话打到了单位同事那里",
}
COMMENTS = ("希望多开几个窗口", "理财经理很专业", "自助设备经常故障", "短信提醒很及时", "停车不方便", "服务很热情")


def _customers(out: Path, fmt: str) -> tuple[list[str], list[str]]:
    """Individual customers (id, branch) as written, in id order."""
    files = sorted((out / "customers").glob(f"part-*.{fmt}")) or sorted(out.glob(f"customers.{fmt}"))
    tables = [pq.read_table(f, columns=["customer_id", "kind", "branch_id"]) if fmt == "parquet"
              else pacsv.read_csv(f).select(["customer_id", "kind", "branch_id"]) for f in files]
    ids: list[str] = []
    branches: list[str] = []
    for t in tables:
        t = t.filter(pc.equal(t["kind"], "individual"))
        ids += [str(x) for x in t["customer_id"].to_pylist()]
        branches += [str(x) for x in t["branch_id"].to_pylist()]
    order = np.argsort(np.array(ids, dtype=object), kind="stable")
    return [ids[i] for i in order], [branches[i] for i in order]


def generate_voice(out: Path, fmt: str, seed: int, as_of: dt.date) -> dict[str, int]:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(VOICE_STREAM,)))
    ids, branch_of = _customers(out, fmt)
    branches = sorted(set(branch_of))
    response = {b: float(rng.uniform(0.35, 0.75)) for b in branches}
    effect = {b: float(rng.uniform(-0.12, 0.08)) for b in branches}
    p_sat = {(b, d): float(np.clip(base + effect[b] + rng.normal(0, 0.04), 0.30, 0.95))
             for b in branches for d, base in BASE.items()}
    complaint_rate = {b: float(rng.uniform(20, 150)) for b in branches}

    voice, truth = out / "_voice", out / "_truth"
    voice.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    invited = rng.random(len(ids)) < INVITE
    sample = [(c, b) for c, b, asked in zip(ids, branch_of, invited, strict=True) if asked]
    answers: list[tuple[str, str, int | str, str]] = []
    for c, b in sample:
        if rng.random() >= response[b]:
            continue
        for d, items in ITEMS.items():
            satisfied = rng.random() < p_sat[(b, d)]
            for q in items:
                score = int(rng.choice((4, 5), p=(0.55, 0.45)) if satisfied else rng.choice((1, 2, 3), p=(0.15, 0.35, 0.5)))
                answers.append((c, q, score, ""))
        if rng.random() < 0.2:
            answers.append((c, "comment", "", COMMENTS[int(rng.integers(len(COMMENTS)))]))
    complaints: list[tuple[str, str, str, str, str]] = []
    for c, b in zip(ids, branch_of, strict=True):
        for _ in range(int(rng.poisson(complaint_rate[b] / 10_000))):
            day = as_of - dt.timedelta(days=int(rng.integers(0, 365)))
            category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            complaints.append((c, b, category, day.isoformat(), SAID[category]))

    _write(voice / "survey_sample.csv", ("customer_id",), [(c,) for c, _b in sample])
    _write(voice / "survey_answers.csv", ("customer_id", "question", "score", "text"), answers)
    _write(voice / "complaints.csv", ("customer_id", "branch_id", "category", "received_on", "description"), complaints)
    _write(truth / "survey_rates.csv", ("branch_id", "dimension", "p_satisfied", "response_rate"),
           [(b, d, round(p_sat[(b, d)], 6), round(response[b], 6)) for b in branches for d in BASE])
    counts = {b: branch_of.count(b) for b in branches}
    _write(truth / "complaint_rates.csv", ("branch_id", "customers", "per_10k_per_year"),
           [(b, counts[b], round(complaint_rate[b], 6)) for b in branches])
    return {"survey_sample": len(sample), "survey_answers": len(answers), "complaints": len(complaints)}


def _write(path: Path, header: tuple[str, ...], rows: Sequence[tuple[object, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
