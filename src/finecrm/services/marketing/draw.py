"""Drawing a campaign's random control group: stratified by tier, reproducible from the seed.

The rule, in full (docs/campaigns.md says the same for analysts):

1. The list is sorted by customer id, so the draw never depends on the order the database returned rows.
2. Each stratum (the customer's tier at draw time) is drawn on its own. A stratum of ``n`` customers gets
   ``floor(n × share)`` control members plus one more with probability equal to the fraction left over,
   so small strata are not all rounded the same way and the expected control share is exactly ``share``
   in every stratum. Which customers go to control is a uniform random choice without replacement.
3. The random numbers of a stratum come from a generator seeded by ``(seed, stream, sha256(stratum))``:
   a stratum's draw depends only on the seed, the stratum's name and its customers — adding a customer to
   one tier never changes the arms of another tier.

So the same customers, strata, share and seed always give the same arms (a test checks it), and anyone
with the campaign's recorded seed can repeat the draw.

A size cap without a propensity order keeps a random subset of the list, drawn the same way from its own
stream of the seed (the first customers by id would not be a fair sample).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

#: Independent random streams of one seed, so the cap and the arms never share random numbers.
_ARMS_STREAM = 1
_CAP_STREAM = 2
MAX_SEED = 2**63 - 1


def _key(text: str) -> list[int]:
    """A stratum name as four 32-bit words (sha256): stable across runs and Python versions."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [int.from_bytes(digest[i : i + 4], "big") for i in range(0, 16, 4)]


def _rng(seed: int, stream: int, name: str = "") -> np.random.Generator:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}, got {seed}")
    return np.random.default_rng([seed, stream, *_key(name)])


def draw_control(customer_ids: Sequence[str], strata: Sequence[str], share: float, seed: int) -> dict[str, bool]:
    """``{customer_id: in_control}`` for a stratified random control group (see the module doc)."""
    if not 0 < share < 1:
        raise ValueError(f"control share must be between 0 and 1, got {share}")
    if len(customer_ids) != len(strata):
        raise ValueError("customer_ids and strata must have the same length")
    if len(set(customer_ids)) != len(customer_ids):
        raise ValueError("a customer appears twice in the list")
    by_stratum: dict[str, list[str]] = {}
    for cid, stratum in zip(customer_ids, strata, strict=True):
        by_stratum.setdefault(stratum, []).append(cid)
    control: dict[str, bool] = {}
    for stratum in sorted(by_stratum):
        ids = sorted(by_stratum[stratum])
        rng = _rng(seed, _ARMS_STREAM, stratum)
        exact = len(ids) * share
        k = int(np.floor(exact))
        if rng.random() < exact - k:
            k += 1
        chosen = set(rng.choice(len(ids), size=k, replace=False).tolist()) if k else set()
        for i, cid in enumerate(ids):
            control[cid] = i in chosen
    return control


def sample_cap(customer_ids: Sequence[str], cap: int, seed: int) -> list[str]:
    """A reproducible random subset of ``cap`` customers (all of them when there are no more than ``cap``),
    sorted by id."""
    ids = sorted(customer_ids)
    if cap >= len(ids):
        return ids
    rng = _rng(seed, _CAP_STREAM)
    keep = rng.choice(len(ids), size=cap, replace=False)
    return sorted(ids[i] for i in keep)
