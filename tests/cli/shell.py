"""Running ``finecrm`` as a script would: a fresh process, its exit code, stdout and stderr apart."""

from __future__ import annotations

import os
import subprocess
import sys

FINECRM = [sys.executable, "-m", "finecrm.cli"]
ANALYST = {"FINECRM_CLI_ROLE": "analyst"}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*FINECRM, *args], capture_output=True, text=True, env=full_env, timeout=300)
