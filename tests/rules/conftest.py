"""Fixtures for the rule-language tests: the sample customers in a real in-memory DuckDB."""

from __future__ import annotations

import ibis
import pytest

from .data import arrow_table


@pytest.fixture(scope="session")
def duckdb_con():
    return ibis.duckdb.connect()


@pytest.fixture(scope="session")
def customers(duckdb_con):
    return duckdb_con.create_table("customers", arrow_table())
