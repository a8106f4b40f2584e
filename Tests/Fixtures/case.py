"""What one fixture is: data, in the manner of Katran's PacketAttributes.

A Case runs one frame through the balancer program (after emptying the connection table)
under a config scenario and states what must come out: the verdict, the exact output frame,
and which counters move. The runner (test_cases.py) derives the counters every case implies
from its verdict, reason, service and real; `counters` adds or overrides exact deltas.
"""

from dataclasses import dataclass, field

# `expected` for a frame the program must hand on untouched.
SAME = "same as input"

# The verdict reasons of usher_stats_v3 (indices 0..12): every packet moves exactly one.
VERDICT_REASONS = (
    "pass_not_ip", "pass_not_vip", "pass_not_l4", "pass_fragment", "pass_malformed",
    "pass_unsupported", "pass_l7", "pass_no_flow", "tx", "redirect", "drop_no_real", "drop_encap",
    "drop_nat_exhausted",
)
# ct_confirmed: a dsr TCP flow's first packet that is not a bare SYN, which makes its entry (a
# SYN makes none: conntrack.h), not counted again as a new flow.
FLOW_EVENTS = ("ct_hit", "ct_new", "ct_rescheduled", "nat_reply", "nat_icmp", "nat_reclaimed", "ct_confirmed")


@dataclass(frozen=True)
class Case:
    name: str          # pytest id
    description: str   # one sentence: what this case proves
    scenario: str      # key of scenarios.SCENARIOS
    packet: bytes      # the input frame
    verdict: str       # XDP_PASS | XDP_TX | XDP_DROP
    reason: str        # the one verdict reason (VERDICT_REASONS) the packet is counted under
    expected: object = SAME  # exact output bytes, SAME, or None (output not compared: drops)
    service: str = None      # service whose stats count this packet
    real: str = None         # address of the real the packet goes to
    counters: dict = field(default_factory=dict)  # extra exact deltas: "service.NAME.no_real": 1
    checksums: bool = True   # every IPv4/TCP/UDP checksum in input and output must be valid

    def __post_init__(self):
        assert self.reason in VERDICT_REASONS, f"{self.name}: unknown reason {self.reason}"
        assert self.verdict in ("XDP_PASS", "XDP_TX", "XDP_DROP"), self.name
        assert isinstance(self.packet, bytes), f"{self.name}: packet must be bytes (use packets.frame)"
        assert self.expected is SAME or self.expected is None or isinstance(self.expected, bytes), self.name
