"""Runs every single-packet fixture through the real program with `usher debug run-packet`:
verdict, exact output bytes, valid checksums, and the counters the packet must move.

    sudo /usr/bin/python3 -m pytest Tests/Fixtures -q      (USHER_BIN=… to pick a binary)
"""

import pytest

import cases_balance
import cases_malformed
import cases_pass
import checks
import packets as P
from case import SAME
from usher_cli import UsherError

ALL_CASES = cases_pass.CASES + cases_balance.CASES + cases_malformed.CASES
# Grouped by scenario (stable) so each config is applied once.
ORDERED = sorted(ALL_CASES, key=lambda case: case.scenario)


def test_case_names_are_unique():
    """Every fixture has its own name, so a failure points at exactly one."""
    names = [case.name for case in ALL_CASES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("case", [c for c in ORDERED if c.checksums], ids=lambda case: case.name)
def test_fixture_inputs_are_what_they_claim(case):
    """Inputs (and expected outputs) of well-formed cases carry valid checksums, so a checksum
    problem in the program's output is the program's. (Malformed and fragment cases are
    exempt: their checksums cannot be meaningful.)"""
    for label, data in (("input", case.packet), ("expected", case.expected)):
        if isinstance(data, bytes):
            assert checks.checksum_problems(data) == [], f"{case.name}: {label}"


def expected_counters(case):
    """The counter deltas a case implies (contracts.md), plus its explicit ones."""
    size = len(case.packet)
    want = {f"global.{case.reason}.packets": 1, f"global.{case.reason}.bytes": size}
    if case.service:
        want[f"service.{case.service}.packets"] = 1
        want[f"service.{case.service}.bytes"] = size
    if case.verdict == "XDP_TX" and not P.opens_flow(case.packet):
        # A first TCP packet that is not a bare SYN (the table was flushed): Maglev chose and
        # the entry is made, but the flow was counted new on its SYN (conntrack.h).
        want["global.ct_confirmed.packets"] = 1
        want[f"real.{case.real}.packets"] = 1
    elif case.verdict == "XDP_TX":
        # A first packet (the table was flushed): Maglev chose, the flow is new.
        want["global.ct_new.packets"] = 1
        want[f"service.{case.service}.new_flows"] = 1
        want[f"real.{case.real}.packets"] = 1
        want[f"real.{case.real}.new_flows"] = 1
    want.update(case.counters)
    return want


@pytest.mark.parametrize("case", ORDERED, ids=lambda case: case.name)
def test_fixture(usher, case):
    usher.use(case.scenario)
    usher.flush_flows()
    before = usher.current_stats()
    verdict, output = usher.run_packet(case.packet)
    after = usher.stats()

    problems = []
    if verdict != case.verdict:
        problems.append(f"verdict {verdict}, expected {case.verdict}")
    expected = case.packet if case.expected is SAME else case.expected
    if expected is not None and output != expected:
        problems.append(checks.frame_diff(expected, output))
    if case.checksums and case.verdict != "XDP_DROP":
        problems += [f"actual output: {p}" for p in checks.checksum_problems(output)]
    delta = checks.stats_delta(before, after)
    problems += checks.counter_problems(delta, expected_counters(case), case.verdict)
    assert not problems, "\n".join([f"{case.name}: {case.description}"] + problems)


def test_runt_frame_is_refused_before_the_program(usher):
    """A frame shorter than an Ethernet header never reaches XDP: the kernel's test_run
    refuses it (EINVAL), and usher says so instead of inventing a verdict."""
    usher.use("base")
    with pytest.raises(UsherError) as failure:
        usher.run_packet(bytes.fromhex("02000000000b0200000000010800")[:13])
    message = str(failure.value)
    assert "exited 1" in message and "14" in message, "say the frame is shorter than 14 bytes"
