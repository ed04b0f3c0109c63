"""A local Spark for the scorecard's SQL tests, started on first use and shared (the pattern of
tests/engine/conftest.py ``spark_for_rules``: Spark takes a while to start)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark_con(tmp_path_factory):
    """Returns a function giving the Ibis connection of a local Spark session (started again if stopped)."""
    from pyspark.sql import SparkSession

    from finecrm.core.settings import Settings
    from finecrm.engine.backends import connect

    work = tmp_path_factory.mktemp("spark-scorecard")
    running: list = []

    def get():
        if not running or SparkSession.getActiveSession() is None:
            running[:] = [connect("spark", work, memory_limit=Settings().build.memory_limit)]
        return running[0].con

    yield get
    if running:
        running[0].close()
