"""Identity numbers that pass the real check-digit rules: resident IDs (GB 11643-1999), unified
social credit codes (GB 32100-2015) and mobile numbers.

Downstream validation and masking code is exercised on realistic values this way.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from finecrm.synth.arrays import digits, fixed_strings

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

MOBILE_PREFIXES = np.array(
    [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 157, 158, 159, 177, 180, 181, 182,
     183, 186, 187, 188, 189, 191, 198, 199],
    dtype=np.int64,
)


def resident_id_check(first17: str) -> str:
    """The 18th character of a resident ID for its first 17 digits."""
    total = sum(int(c) * int(w) for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def resident_ids(region_code: np.ndarray, birth_yyyymmdd: np.ndarray, seq: np.ndarray, male: np.ndarray) -> pa.Array:
    """18-character resident ID numbers: region (6) + birth date (8) + order (3, odd = male) + check."""
    order = seq % 500 * 2 + np.where(male, 1, 0)  # odd for men, even for women
    body = np.concatenate(
        [
            digits(np.broadcast_to(region_code, seq.shape), 6),
            digits(birth_yyyymmdd, 8),
            digits(order, 3),
        ],
        axis=1,
    )
    total = ((body.astype(np.int64) - 48) * _ID_WEIGHTS).sum(axis=1)
    check = _ID_CHECK[total % 11][:, None]
    return fixed_strings([body, check])


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """Day numbers as integers like 19680420 (vectorised)."""
    d64 = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d64.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    mon = month.astype(np.int64) % 12 + 1
    day = (d64 - month.astype("datetime64[D]")).astype(np.int64) + 1
    return year * 10_000 + mon * 100 + day


def uscc(region_code: int, rng: np.random.Generator, n: int) -> list[str]:
    """Unified social credit codes ``91`` + region + organisation code (with its check) + check."""
    out = []
    for _ in range(n):
        org = "".join(USCC_CHARS[rng.integers(0, 10 if i < 2 else 31)] for i in range(8))
        org_vals = [USCC_CHARS.index(c) for c in org]
        c9 = 11 - sum(v * w for v, w in zip(org_vals, _ORG_WEIGHTS, strict=True)) % 11
        org += "X" if c9 == 10 else ("0" if c9 == 11 else str(c9))
        body = f"91{region_code:06d}{org}"
        total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
        out.append(body + USCC_CHARS[(31 - total % 31) % 31])
    return out


def uscc_valid(code: str) -> bool:
    """True when ``code`` has a valid GB 32100 check character."""
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


def mobiles(rng: np.random.Generator, n: int) -> pa.Array:
    """11-digit mainland mobile numbers with real operator prefixes."""
    prefix = MOBILE_PREFIXES[rng.integers(0, MOBILE_PREFIXES.size, size=n)]
    rest = rng.integers(0, 100_000_000, size=n)
    return fixed_strings([digits(prefix, 3), digits(rest, 8)])


def bank_accounts(rng: np.random.Generator, n: int) -> pa.Array:
    """19-digit account numbers at other banks (counterparties)."""
    bins = np.array([622848, 622202, 621700, 621661, 621799, 622262, 621483, 622908], dtype=np.int64)
    head = bins[rng.integers(0, bins.size, size=n)]
    tail = rng.integers(0, 10**13, size=n)
    return fixed_strings([digits(head, 6), digits(tail, 13)])
