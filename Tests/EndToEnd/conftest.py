"""Fixtures of the end-to-end tests: a lab per test, always torn down."""
import os

import pytest

from labkit import Lab, require_root, sweep_orphans, unique_name, usher_binary


def pytest_sessionstart(session):
    """What earlier runs left when they died before their teardown goes first."""
    for name in sweep_orphans():
        print(f"removed what lab {name} left (its process had ended)")


def require_usher():
    binary = usher_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"usher binary not found at {binary}: run 'swift build' first, or set USHER_BIN")
    return binary


@pytest.fixture
def bare_lab():
    """A lab without any usher program: the network, the routes and the real servers only."""
    require_root()
    lab = Lab.up(unique_name(), with_usher=False)
    try:
        yield lab
    finally:
        lab.down()


@pytest.fixture
def lab():
    """A lab with the pass program on the bridge side and decap on the reals, config not applied."""
    require_root()
    require_usher()
    lab = Lab.up(unique_name())
    try:
        yield lab
    finally:
        lab.down()


@pytest.fixture
def balanced_lab(lab):
    """A lab whose balancer runs the lab's config (Tools/lab's usher.yaml)."""
    lab.apply()
    return lab


@pytest.fixture
def daemon_lab():
    """A lab whose balancer runs `usher daemon -c usher.yaml` (it applied the config itself)."""
    require_root()
    require_usher()
    lab = Lab.up(unique_name(), daemon=True)
    try:
        yield lab
    finally:
        lab.down()
