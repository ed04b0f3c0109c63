"""Fast numpy → Arrow conversions for the column types of the contract.

Millions of ids and amounts are built per chunk, so they never pass through Python objects:
fixed-width ids are written as digit bytes straight into an Arrow string buffer, money as
``int64`` fen straight into a ``decimal128(18, 2)`` buffer.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from finecrm.synth.calendar import US_PER_DAY

MONEY = pa.decimal128(18, 2)
RATE = pa.decimal128(9, 6)


def _validity(mask: np.ndarray | None) -> pa.Buffer | None:
    """Arrow validity bitmap from a numpy "is null" mask (``None`` when nothing is null)."""
    if mask is None or not mask.any():
        return None
    return pa.py_buffer(np.packbits(~mask, bitorder="little"))


def digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """``(n, width)`` uint8 ASCII digits of non-negative integers, zero-padded on the left."""
    numbers = np.asarray(numbers, dtype=np.int64).copy()
    if numbers.size and (numbers.min() < 0 or numbers.max() >= 10**width):
        raise ValueError(f"numbers do not fit in {width} digits")
    out = np.empty((numbers.size, width), dtype=np.uint8)
    for pos in range(width - 1, -1, -1):
        out[:, pos] = numbers % 10 + 48
        numbers //= 10
    return out


def fixed_strings(parts: list[bytes | np.ndarray]) -> pa.Array:
    """Concatenate constant byte prefixes and ``(n, w)`` uint8 blocks into one string per row.

    Every row has the same byte width, so offsets are a simple ``arange``.
    """
    n = next((p.shape[0] for p in parts if isinstance(p, np.ndarray)), None)
    if n is None:
        raise ValueError("fixed_strings needs at least one array part")
    blocks = [
        np.broadcast_to(np.frombuffer(p, dtype=np.uint8), (n, len(p))) if isinstance(p, bytes) else p
        for p in parts
    ]
    data = np.ascontiguousarray(np.concatenate(blocks, axis=1)) if n else np.empty((0, 0), np.uint8)
    width = data.shape[1] if n else 0
    offsets = np.arange(0, n * width + 1, max(width, 1) if n else 1, dtype=np.int32)[: n + 1]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data.tobytes()))


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` followed by ``numbers`` zero-padded to ``width`` digits (ASCII ids)."""
    return fixed_strings([prefix.encode(), digits(numbers, width)])


def money(fen: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Decimal yuan (``decimal128(18,2)``) from integer fen; exact, no float rounding."""
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    buf = np.empty((fen.size, 2), dtype=np.int64)
    buf[:, 0] = fen
    buf[:, 1] = np.where(fen < 0, -1, 0)
    return pa.Array.from_buffers(MONEY, fen.size, [_validity(null), pa.py_buffer(buf)])


def rate(micro: np.ndarray) -> pa.Array:
    """Decimal rate (``decimal128(9,6)``) from integer millionths (43500 → 0.043500)."""
    micro = np.ascontiguousarray(micro, dtype=np.int64)
    buf = np.zeros((micro.size, 2), dtype=np.int64)
    buf[:, 0] = micro
    return pa.Array.from_buffers(RATE, micro.size, [None, pa.py_buffer(buf)])


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """``date32`` from day numbers; ``null`` marks empty values."""
    arr = np.ascontiguousarray(days, dtype=np.int32)
    return pa.Array.from_buffers(pa.date32(), arr.size, [_validity(null), pa.py_buffer(arr)])


def timestamps(days: np.ndarray, seconds: np.ndarray) -> pa.Array:
    """``timestamp[us]`` from a day number and seconds since midnight."""
    us = days.astype(np.int64) * US_PER_DAY + seconds.astype(np.int64) * 1_000_000
    return pa.Array.from_buffers(pa.timestamp("us"), us.size, [None, pa.py_buffer(us)])


def bools(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_(), mask=null)


def ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=null)


def take(vocab: pa.Array | list[str], idx: np.ndarray) -> pa.Array:
    """``vocab[idx]`` with ``idx < 0`` meaning null (codes, names, ids picked from a list)."""
    vocab_arr = vocab if isinstance(vocab, pa.Array) else pa.array(vocab, type=pa.string())
    idx = np.asarray(idx, dtype=np.int64)
    null = idx < 0
    indices = pa.array(np.where(null, 0, idx), type=pa.int64(), mask=null if null.any() else None)
    out = vocab_arr.take(indices)
    if isinstance(out, pa.ChunkedArray):  # pragma: no cover - take on an Array returns an Array
        out = out.combine_chunks()
    return out


def strings(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())
