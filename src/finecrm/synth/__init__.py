"""finecrm.synth — a deterministic, realistic synthetic county bank with ground truth.

``generate(out, customers=…, months=…, seed=…)`` writes every contract table plus ``_truth/``;
see docs/synthetic-bank.md.
"""

from __future__ import annotations

from finecrm.synth.bank import CHUNK, DEFAULT_AS_OF, generate

__all__ = ["CHUNK", "DEFAULT_AS_OF", "generate"]
