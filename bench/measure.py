"""Run a command in a child process and measure wall time and peak memory (max RSS) of it."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    command: str
    seconds: float
    peak_rss_mb: float
    returncode: int


def run(cmd: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
        stdout: Path | None = None) -> Measured:
    """wait4 gives the child's own rusage: its peak RSS, not the benchmark driver's.

    ``stdout``: a file to keep the command's standard output in (e.g. its ``--json`` document);
    discarded otherwise.
    """
    started = time.perf_counter()
    with open(stdout, "wb") if stdout is not None else open(os.devnull, "wb") as sink:
        proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=sink,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        peak = round(usage.ru_maxrss / 1024)
        if code == -9:  # SIGKILL: on this machine, the kernel's out-of-memory killer
            raise RuntimeError(f"killed by signal 9 (out of memory) after {seconds:.0f} s at {peak:,} MB")
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}) after {seconds:.0f} s at {peak:,} MB: {err[-2000:]}")
    return Measured(" ".join(cmd), round(seconds, 2), round(usage.ru_maxrss / 1024, 1), code)


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"
