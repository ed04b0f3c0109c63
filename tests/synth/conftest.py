"""Shared fixtures: small synthetic banks generated once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from finecrm.synth import bank, generate

AS_OF = bank.DEFAULT_AS_OF


def make_bank(out: Path, *, customers: int, fmt: str = "parquet", seed: int = 7, months: int = 12,
              chunk: int | None = None) -> dict[str, int]:
    """Generate a bank, optionally with a smaller chunk size so that small banks have several chunks."""
    with pytest.MonkeyPatch.context() as mp:
        if chunk is not None:
            mp.setattr(bank, "CHUNK", chunk)
        return generate(out, customers=customers, months=months, seed=seed, fmt=fmt)


@pytest.fixture(scope="session")
def small_parquet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    out = tmp_path_factory.mktemp("small_parquet")
    yield out, make_bank(out, customers=1_000, chunk=400)


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    out = tmp_path_factory.mktemp("small_csv")
    yield out, make_bank(out, customers=1_000, fmt="csv", chunk=400)


@pytest.fixture(scope="session")
def bank5k(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, int]]]:
    out = tmp_path_factory.mktemp("bank5k")
    yield out, make_bank(out, customers=5_000, seed=3)
