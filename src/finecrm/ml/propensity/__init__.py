"""Propensity models (倾向模型): who is likely to take a product within the next N days, and why.

- ``features``: which columns are used, how each is treated, bilingual names;
- ``transforms``: log and clip transforms for skewed money and counts;
- ``model``: :class:`PropensityModel` (a scikit-learn pipeline: logistic regression or gradient boosting);
- ``reasons``: the top reasons of each score, in Chinese and English;
- ``report``: AUC, lift and capture by decile, calibration;
- ``persist``: model files with skops and an allow-list of types (no pickle);
- ``scoring``: score an Arrow table of customers with several models.
"""

from finecrm.ml.propensity.features import FeatureSpec, mart_spec
from finecrm.ml.propensity.model import ALGORITHMS, PropensityModel
from finecrm.ml.propensity.persist import ModelFileError, load_pipeline, save_pipeline
from finecrm.ml.propensity.report import evaluate

__all__ = ["ALGORITHMS", "FeatureSpec", "ModelFileError", "PropensityModel", "evaluate", "load_pipeline",
           "mart_spec", "save_pipeline"]
