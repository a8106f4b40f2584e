"""`usher apply` in a network namespace of its own whose loopback is down (`unshare -n`), with a
real server that has no route (issue 11, defect 6). The next-hop lookup once ran `ip` as a child
process and hung for ever about once in 200 runs, holding the state lock; it must now end
promptly with an error naming the real, every time."""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import require_usher
from labkit import require_root, unique_name

RUNS = 50
PER_RUN_TIMEOUT = 20  # seconds; a run takes well under one

CONFIG = """\
services:
  - name: web
    vip: 203.0.113.10
    port: 80
    protocol: tcp
    mode: dsr-l2
    reals:
      - address: 198.51.100.2
"""


@pytest.fixture
def isolated_dirs():
    require_root()
    pins = Path("/sys/fs/bpf") / f"usher-e2e-{unique_name()}"
    state = Path(tempfile.mkdtemp(prefix="usher-isolated-"))
    try:
        yield pins, state
    finally:
        if pins.exists():
            for entry in pins.iterdir():
                entry.unlink()
            pins.rmdir()
        shutil.rmtree(state, ignore_errors=True)


def test_apply_without_route_or_loopback_fails_promptly_every_time(isolated_dirs):
    binary = require_usher()
    pins, state = isolated_dirs
    config = state / "usher.yaml"
    config.write_text(CONFIG)
    command = ["unshare", "-n", str(binary), "apply", "-f", str(config),
               "--pin-dir", str(pins), "--state-dir", str(state / "run")]
    slowest = 0.0
    for run in range(RUNS):
        started = time.monotonic()
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=PER_RUN_TIMEOUT,
                                    stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail(f"run {run + 1} of {RUNS}: usher apply did not end within {PER_RUN_TIMEOUT} s (the hang of defect 6)")
        slowest = max(slowest, time.monotonic() - started)
        assert result.returncode != 0, f"run {run + 1}: apply succeeded without a route: {result.stdout}"
        assert "real 198.51.100.2" in result.stderr and "no route" in result.stderr, \
            f"run {run + 1}: the error does not name the real and say why: {result.stderr!r}"
        assert "wakeup socket" not in result.stderr, f"run {run + 1}: {result.stderr!r}"
    assert slowest < 10, f"the slowest of {RUNS} runs took {slowest:.1f} s"
    assert not (state / "run" / "config.json").exists(), "a failed apply saved its config"
