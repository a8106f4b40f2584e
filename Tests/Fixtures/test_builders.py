"""The expected-output builders themselves, checked against the byte layout contracts.md
describes, so a fixture failure is never a builder quirk (scapy re-deriving a field, padding a
frame). Needs no root."""

import pytest

import cases_balance
import packets as P

L2_LEN = {(): 14, cases_balance.ONE_TAG: 18, cases_balance.QINQ: 22}


@pytest.mark.parametrize("vlans", list(L2_LEN), ids=["untagged", "one-tag", "qinq"])
def test_dsr_l2_changes_only_the_macs(vlans):
    l3 = P.ipv4("203.0.113.10", P.l4_tcp())
    given = P.frame(l3, vlans=vlans)
    out = P.dsr_l2(l3, "02:00:00:00:00:11", vlans=vlans)
    assert out[:6] == bytes.fromhex("020000000011")
    assert out[6:12] == given[:6], "source MAC is the frame's original destination"
    assert out[12:] == given[12:]


@pytest.mark.parametrize("vlans", list(L2_LEN), ids=["untagged", "one-tag", "qinq"])
def test_ipip4_inserts_20_bytes_after_l2(vlans):
    l3 = P.ipv4("203.0.113.20", P.l4_udp(), tos=0xB8)
    given = P.frame(l3, vlans=vlans)
    out = P.dsr_ipip4(l3, "198.51.100.21", "02:00:00:00:00:21", "198.51.100.64/26", vlans=vlans)
    l2 = L2_LEN[vlans]
    assert out[12:l2] == given[12:l2], "ethertype and tags unchanged"
    assert out[l2 + 20:] == given[l2:], "inner packet carried byte for byte"
    outer = out[l2:l2 + 20]
    inner_len = int.from_bytes(given[l2 + 2:l2 + 4], "big")
    assert outer[0] == 0x45 and outer[1] == 0xB8
    assert int.from_bytes(outer[2:4], "big") == inner_len + 20
    assert outer[4:10] == bytes.fromhex("000040004004"), "id 0, DF, ttl 64, protocol 4"
    assert outer[16:20] == bytes([198, 51, 100, 21])
    assert outer[12:15] == bytes([198, 51, 100]) and outer[15] & 0xC0 == 64


def test_ipip6_inserts_40_bytes_after_l2():
    l3 = P.ipv6("2001:db8:f::20", P.l4_tcp(), tc=0xB8)
    given = P.frame(l3, vlans=cases_balance.QINQ)
    out = P.dsr_ipip6(l3, "2001:db8:1::23", "02:00:00:00:00:23", "2001:db8:2::/112",
                      vlans=cases_balance.QINQ)
    outer, inner = out[22:62], given[22:]
    assert out[62:] == inner
    hash_value = P.client_hash(l3)
    first = int.from_bytes(outer[0:4], "big")
    assert first == (6 << 28) | (0xB8 << 20) | (hash_value & 0xFFFFF)
    assert int.from_bytes(outer[4:6], "big") == len(inner)
    assert outer[6] == 41 and outer[7] == 64
    assert outer[8:22] == bytes.fromhex("20010db8000200000000000000000000")[:14]
    assert int.from_bytes(outer[22:24], "big") == hash_value & 0xFFFF


@pytest.mark.parametrize("case", [c for c in cases_balance.CASES if c.expected is not None],
                         ids=lambda case: case.name)
def test_expected_output_grows_by_the_outer_header_only(case):
    """dsr-l2 keeps the length; dsr-ipip adds exactly one outer IPv4 (20) or IPv6 (40) header."""
    growth = 0 if not case.service.startswith("ipip") else 40 if case.service.endswith("6") else 20
    assert len(case.expected) - len(case.packet) == growth
