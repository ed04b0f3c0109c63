"""Codes the marts use, with the Chinese labels bank staff read (the web app translates codes)."""

from __future__ import annotations

LIFECYCLE = {
    "potential": "潜在",
    "new": "新客户",
    "growing": "成长",
    "stable": "稳定",
    "declining": "衰退",
    "dormant": "沉睡",
    "lost": "流失",
}
LIFECYCLE_ORDER = tuple(LIFECYCLE)

SEGMENTS = {
    "steady": "稳妥型",
    "growth": "高增长型",
    "consumer": "消费型",
    "low_activity": "低活跃型",
    "active": "活跃型",
    "inactive": "无活动",
    "balanced": "均衡型",
}
