"""Credit scorecards (信用评分卡): WoE binning, logistic regression, points, master scale, SQL.

- ``card``: the card as data (variables, bins, points, scale, grades) — the one definition every scorer reads;
- ``binning``: optimal monotonic binning with optbinning, turned into the card's readable bins;
- ``model``: :class:`Scorecard`, the estimator (scikit-learn conventions);
- ``scale``: points from the regression, and the rating master scale;
- ``reasons``: reason codes per applicant;
- ``report``: IV and bins tables, AUC/KS/Gini, PSI (computing only);
- ``sql``: the card as an Ibis expression (DuckDB, Spark) and as plain SQL text;
- ``persist``: card files — skops (no pickle) and a readable JSON card.
"""

from finecrm.ml.scorecard.card import Bin, Card, Grade, Scale, Variable
from finecrm.ml.scorecard.model import Scorecard
from finecrm.ml.scorecard.persist import CardFileError, load_card, save_card
from finecrm.ml.scorecard.reasons import reason_text
from finecrm.ml.scorecard.sql import DIALECTS, card_expr, card_sql

__all__ = ["DIALECTS", "Bin", "Card", "CardFileError", "Grade", "Scale", "Scorecard", "Variable", "card_expr",
           "card_sql", "load_card", "reason_text", "save_card"]
