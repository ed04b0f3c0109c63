"""Behaviour segmentation (稳妥型 / 高增长型 / 消费型 / 低活跃型)."""

from finecrm.ml.segmentation.behaviour import FEATURES, BehaviourSegments

__all__ = ["FEATURES", "BehaviourSegments"]
