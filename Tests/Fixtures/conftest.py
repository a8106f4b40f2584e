"""Session fixture: the real `usher` binary with a pin directory of its own.

Skips (saying why) only when not root or when the binary is missing; CI runs as root after
`swift build`. The pin directory is removed afterwards, whatever happened; if the run itself is
killed first, the next sweep of the test labs (Tests/EndToEnd/labkit.py, run by Tools/test and
every end-to-end session) removes it, since its name is registered there with this process's pid.
"""

import os
import secrets
import shutil
from pathlib import Path

import pytest

from usher_cli import UsherCLI

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Where test labs register their names with their owner's pid (labkit.LAB_REGISTRY).
LAB_REGISTRY = Path("/run/usher-test-labs")


def usher_binary():
    return os.environ.get("USHER_BIN") or os.path.join(REPO_ROOT, ".build", "debug", "usher")


@pytest.fixture(scope="session")
def usher(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root: BPF_PROG_TEST_RUN and pinning maps in bpffs")
    binary = usher_binary()
    if not os.access(binary, os.X_OK):
        pytest.skip(f"no usher binary at {binary}: run `swift build` or set USHER_BIN")
    name = "fx" + secrets.token_hex(4)
    LAB_REGISTRY.mkdir(mode=0o700, exist_ok=True)
    (LAB_REGISTRY / name).write_text(f"{os.getpid()}\n")
    pin_dir = f"/sys/fs/bpf/usher-{name}"
    work_dir = tmp_path_factory.mktemp("usher-fx")
    state_dir = work_dir / "state"
    state_dir.mkdir()
    try:
        yield UsherCLI(binary, pin_dir, str(state_dir), str(work_dir))
    finally:
        shutil.rmtree(pin_dir, ignore_errors=True)
        assert not os.path.exists(pin_dir), f"could not remove {pin_dir}"
