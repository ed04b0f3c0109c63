"""``finecrm serve`` with its SQLite database on a full disk: one clear line and exit code 74, no traceback.

The workspace lives on a small tmpfs the test mounts (root needed; CI runs as root) and fills.
"""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest

from tests.cli.shell import FINECRM, run
from tests.contract.procs import mounted


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("demo", [False, True], ids=["serve", "serve --demo"])
def test_serve_on_a_full_disk_says_so_in_one_line(tmp_path, demo):
    disk = tmp_path / "disk"
    bank = tmp_path / "bank"
    assert run("generate", "--customers", "100", "--months", "2", "--out", str(bank), "--quiet").returncode == 0
    with mounted(["-t", "tmpfs", "-o", "size=16m", "tmpfs"], disk):
        home = disk / "ws"
        assert run("init", "--home", str(home)).returncode == 0
        assert run("ingest", str(bank), "--home", str(home), "--quiet").returncode == 0  # demo logins need branches
        with (disk / "ballast").open("wb") as fh:  # fill the disk to the last byte
            try:
                while True:
                    fh.write(b"\0" * (1 << 16))
                    fh.flush()
            except OSError:
                pass
        assert shutil.disk_usage(disk).free < 1 << 16
        args = ["serve", "--home", str(home), "--port", str(_port()), *(["--demo"] if demo else [])]
        try:
            done = subprocess.run([*FINECRM, *args], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("finecrm serve started on a full disk instead of refusing")
        assert done.returncode == 74, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, done.stderr
        assert "磁盘空间不足" in lines[0] and "the disk is full" in lines[0] and "finecrm.db" in lines[0]
        assert "工作台未启动" in lines[0] and "free space" in lines[0]
