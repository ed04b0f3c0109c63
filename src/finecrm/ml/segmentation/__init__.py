"""Behaviour segmentation (稳妥型 / 高增长型 / 消费型, else 无活动 / 低活跃型 / 活跃型 / 均衡型): labels from what each cluster is."""

from finecrm.ml.segmentation.behaviour import FEATURES, BehaviourSegments

__all__ = ["FEATURES", "BehaviourSegments"]
