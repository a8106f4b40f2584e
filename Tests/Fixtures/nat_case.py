"""What a NAT fixture is: a few frames run in order through the program (after emptying the
flow tables), each with its verdict, exact output and counter deltas.

A reply or an ICMP error only means something after the flow it belongs to exists, so a
NatCase is a list of Steps; every step is checked in full, the earlier ones too.
Counters pinned on every step: each verdict reason and flow event (exactly the step's reason
moves, by one packet and the frame's length in bytes; flow events as given, else 0), and for
every service and real that is named or that moved: the fields in SERVICE_FIELDS and
REAL_FIELDS (as given, else 0).
"""

from dataclasses import dataclass, field

import checks
import nat_checks
from case import FLOW_EVENTS, SAME, VERDICT_REASONS

SERVICE_FIELDS = ("packets", "bytes", "new_flows", "no_real", "nat_exhausted", "reply_packets",
                  "reply_bytes")
REAL_FIELDS = ("packets", "new_flows")
VERDICT_OF = {"tx": "XDP_TX", "redirect": "XDP_REDIRECT", "drop_no_real": "XDP_DROP",
              "drop_encap": "XDP_DROP", "drop_nat_exhausted": "XDP_DROP"}


@dataclass(frozen=True)
class Step:
    packet: bytes
    reason: str              # the verdict reason it is counted under (VERDICT_REASONS)
    expected: object = SAME  # exact output bytes, SAME (untouched), or None (a drop)
    counters: dict = field(default_factory=dict)  # exact deltas beyond the reason's own
    cpu: int = 0             # CPU the program runs on
    checksums: bool = True   # input and output checksums must all be valid

    @property
    def verdict(self):
        return VERDICT_OF.get(self.reason, "XDP_PASS")

    def __post_init__(self):
        assert self.reason in VERDICT_REASONS, self.reason
        assert isinstance(self.packet, bytes)
        assert self.expected is SAME or self.expected is None or isinstance(self.expected, bytes)


@dataclass(frozen=True)
class NatCase:
    name: str
    description: str  # one sentence: what the case proves
    scenario: str
    steps: tuple


def wanted(step):
    """The deltas the step implies: its reason by one packet and the frame's bytes, the rest
    as given."""
    want = {f"global.{step.reason}.packets": 1, f"global.{step.reason}.bytes": len(step.packet)}
    want.update(step.counters)
    return want


def checked_keys(delta, want):
    keys = {f"global.{reason}.{unit}" for reason in VERDICT_REASONS for unit in ("packets", "bytes")}
    keys |= {f"global.{event}.packets" for event in FLOW_EVENTS}
    for key in set(delta) | set(want):
        kind, _, rest = key.partition(".")
        name, _, field_name = rest.rpartition(".")
        if kind == "service":
            keys |= {f"service.{name}.{f}" for f in SERVICE_FIELDS}
        elif kind == "real":
            keys |= {f"real.{name}.{f}" for f in REAL_FIELDS}
    return keys | set(want)


def step_problems(step, verdict, output, delta):
    """Everything wrong with one step's result (empty: it did what it must)."""
    problems = []
    if verdict != step.verdict:
        problems.append(f"verdict {verdict}, expected {step.verdict} ({step.reason})")
    expected = step.packet if step.expected is SAME else step.expected
    if expected is not None and output != expected:
        problems.append(checks.frame_diff(expected, output))
    if step.checksums and step.expected is not None:
        problems += [f"actual output: {p}" for p in nat_checks.checksum_problems(output)]
    want = wanted(step)
    for key in sorted(checked_keys(delta, want)):
        if want.get(key, 0) != delta.get(key, 0):
            problems.append(f"{key}: moved by {delta.get(key, 0)}, expected {want.get(key, 0)}")
    return problems


def run_steps(usher, steps, label):
    """Runs the steps in order (no flush); asserts each one. Returns the last stats reading."""
    before = usher.current_stats()
    for index, step in enumerate(steps):
        verdict, output = usher.run_packet(step.packet, cpu=step.cpu)
        after = usher.stats()
        problems = step_problems(step, verdict, output, checks.stats_delta(before, after))
        assert not problems, "\n".join([f"{label}, step {index + 1} of {len(steps)}"] + problems)
        before = after
    return before
