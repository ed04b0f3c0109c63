"""The satisfaction questionnaire (满意度问卷): questions per dimension of service quality (SERVQUAL's five, as the
requirement documents name them: 可靠性、响应性、保证性、同情性、有形性), each on a 1–5 scale, and one free-text
question. A survey keeps a copy of the questions it was drawn with, so its results never change under it.

A respondent is *satisfied* on a dimension when the mean of their scores on its questions is at least
:data:`SATISFIED_FROM` (4: 满意 or 非常满意) — the share the results estimate, with its interval.
"""

from __future__ import annotations

from typing import Any

SCALE = (1, 2, 3, 4, 5)
SATISFIED_FROM = 4.0

#: (code, 中文, English, what it asks about)
DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("reliability", "可靠性", "reliability"),
    ("responsiveness", "响应性", "responsiveness"),
    ("assurance", "保证性", "assurance"),
    ("empathy", "同情性", "empathy"),
    ("tangibles", "有形性", "tangibles"),
)
DIMENSION_CODES = tuple(d[0] for d in DIMENSIONS)

#: The default questionnaire: two scale questions per dimension and one free-text question.
QUESTIONS: tuple[dict[str, Any], ...] = (
    {"code": "rel_1", "dimension": "reliability", "kind": "scale",
     "zh": "我行办理业务准确无误、一次办好", "en": "We handled your business accurately, right the first time"},
    {"code": "rel_2", "dimension": "reliability", "kind": "scale",
     "zh": "我行兑现了对您的承诺（到账时间、利率、回访）", "en": "We kept our promises (timing, rates, call-backs)"},
    {"code": "res_1", "dimension": "responsiveness", "kind": "scale",
     "zh": "等候时间可以接受", "en": "The waiting time was acceptable"},
    {"code": "res_2", "dimension": "responsiveness", "kind": "scale",
     "zh": "员工乐于并及时回应您的需要", "en": "Staff were willing to help and answered promptly"},
    {"code": "ass_1", "dimension": "assurance", "kind": "scale",
     "zh": "员工业务熟练，能解答您的问题", "en": "Staff knew their business and could answer your questions"},
    {"code": "ass_2", "dimension": "assurance", "kind": "scale",
     "zh": "在我行办理业务让您感到放心、安全", "en": "You felt safe and confident doing business with us"},
    {"code": "emp_1", "dimension": "empathy", "kind": "scale",
     "zh": "员工了解并关心您的具体需要", "en": "Staff understood and cared about your particular needs"},
    {"code": "emp_2", "dimension": "empathy", "kind": "scale",
     "zh": "营业时间和服务方式方便您", "en": "Opening hours and ways of being served suit you"},
    {"code": "tan_1", "dimension": "tangibles", "kind": "scale",
     "zh": "网点环境整洁、设施好用", "en": "The branch is clean and its equipment works well"},
    {"code": "tan_2", "dimension": "tangibles", "kind": "scale",
     "zh": "宣传资料和指引清楚易懂", "en": "Leaflets and signs are clear and easy to follow"},
    {"code": "comment", "dimension": "overall", "kind": "text",
     "zh": "您对我行服务还有什么意见或建议？", "en": "Anything else you would like to tell us about our service?"},
)


def questions() -> list[dict[str, Any]]:
    """A copy of the default questionnaire (a survey stores it as it was)."""
    return [dict(q) for q in QUESTIONS]
