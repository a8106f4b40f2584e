"""Runs the nat and gateway fixtures (cases_nat.py) through the real program: each case from
empty flow tables, every step's verdict, exact output, checksums and counters.

    sudo /usr/bin/python3 -m pytest Tests/Fixtures -q      (USHER_BIN=… to pick a binary)
"""

import pytest

import cases_nat
import nat_checks
from case import SAME
from nat_case import run_steps

ORDERED = sorted(cases_nat.CASES, key=lambda case: case.scenario)


def test_nat_case_names_are_unique():
    """Every NAT fixture has its own name, so a failure points at exactly one."""
    names = [case.name for case in cases_nat.CASES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("case", ORDERED, ids=lambda case: case.name)
def test_nat_fixture_frames_are_what_they_claim(case):
    """Every input and expected frame carries valid checksums (outer and quoted IPv4 headers,
    TCP/UDP, ICMP/ICMPv6), so a checksum problem in the program's output is the program's."""
    for index, step in enumerate(case.steps):
        if not step.checksums:
            continue
        for label, data in (("input", step.packet), ("expected", step.expected)):
            if isinstance(data, bytes) and data is not SAME:
                assert nat_checks.checksum_problems(data) == [], f"{case.name} step {index + 1} {label}"


@pytest.mark.parametrize("case", ORDERED, ids=lambda case: case.name)
def test_nat_fixture(usher, case):
    usher.use(case.scenario)
    usher.flush_flows()
    run_steps(usher, case.steps, f"{case.name}: {case.description}")
