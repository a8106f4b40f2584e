"""Session fixture: the real `usher` binary with a pin directory of its own.

Skips (saying why) only when not root or when the binary is missing; CI runs as root after
`swift build`. The pin directory is removed afterwards, whatever happened.
"""

import os
import secrets
import shutil

import pytest

from usher_cli import UsherCLI

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def usher_binary():
    return os.environ.get("USHER_BIN") or os.path.join(REPO_ROOT, ".build", "debug", "usher")


@pytest.fixture(scope="session")
def usher(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root: BPF_PROG_TEST_RUN and pinning maps in bpffs")
    binary = usher_binary()
    if not os.access(binary, os.X_OK):
        pytest.skip(f"no usher binary at {binary}: run `swift build` or set USHER_BIN")
    pin_dir = f"/sys/fs/bpf/usher-fx-{secrets.token_hex(4)}"
    work_dir = tmp_path_factory.mktemp("usher-fx")
    state_dir = work_dir / "state"
    state_dir.mkdir()
    try:
        yield UsherCLI(binary, pin_dir, str(state_dir), str(work_dir))
    finally:
        shutil.rmtree(pin_dir, ignore_errors=True)
        assert not os.path.exists(pin_dir), f"could not remove {pin_dir}"
