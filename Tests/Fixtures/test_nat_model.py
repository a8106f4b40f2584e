"""The NAT fixtures' own parts, checked without root: the SNAT port model against the
properties nat.md states, the checksum verifier against frames known to be wrong, and the
builders against the byte layout of a rewrite (so a fixture failure is never a helper quirk)."""

import struct

import pytest
from scapy.layers.inet import UDP
from scapy.packet import raw

import nat_checks
import nat_model as M
import nat_packets as N
import packets as P


@pytest.mark.parametrize("text,count", [("0-1", 2), ("0", 1), ("0-3,5", 6), ("0,2-7\n", 8)])
def test_possible_cpus_is_highest_plus_one(tmp_path, text, count):
    path = tmp_path / "possible"
    path.write_text(text)
    assert M.possible_cpus(str(path)) == count


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_cpu_shares_are_disjoint_and_inside_the_range(n):
    """CPU c of n gets port_min + k*n + c: no port is shared, all lie in the range, each CPU
    gets (ports // n) of them."""
    pool = M.SnatPool(["198.51.100.3"], 1000, 1010, nr_cpus=n)
    shares = [pool.ports_of_cpu(cpu) for cpu in range(n)]
    for index, share in enumerate(shares):
        assert len(share) == 11 // n and all(1000 <= port <= 1010 for port in share)
        for other in shares[index + 1:]:
            assert not share & other


def test_candidates_cover_addresses_and_ports_once():
    """Every candidate index of a CPU names a different (address, port), over every address."""
    pool = M.SnatPool(["198.51.100.3", "198.51.100.4", "198.51.100.5"], 2000, 2099, nr_cpus=2)
    pairs = {pool.address_port(c, 1) for c in range(pool.total)}
    assert len(pairs) == pool.total == 150
    assert {address for address, _ in pairs} == set(pool.addresses)
    assert all(port % 2 == 1 for _, port in pairs)


def test_candidates_are_linear_from_the_hash_and_bounded():
    pool = M.SnatPool(["198.51.100.3"], 2000, 2099, nr_cpus=1)
    assert pool.candidates(98) == [(98 + i) % 100 for i in range(32)]
    tiny = M.SnatPool(["198.51.100.3"], 2000, 2003, nr_cpus=2)
    assert tiny.candidates(7) == [1, 0]


def test_allocator_probes_reclaims_and_exhausts():
    pool = M.SnatPool(["198.51.100.3"], 3000, 3003, nr_cpus=2)
    alloc = M.SnatAllocator(pool, cpu=0)
    args = ("203.0.113.1", 80, "tcp", "198.51.100.71", 8080)
    first = alloc.claim("192.0.2.1", 1111, *args)
    second = alloc.claim("192.0.2.1", 2222, *args)
    assert first and second and {first[1], second[1]} == {3000, 3002}
    assert alloc.claim("192.0.2.1", 3333, *args) is None, "two ports, a third flow must fail"
    alloc.stale.add(("192.0.2.1", 1111, "203.0.113.1", 80, "tcp"))
    third = alloc.claim("192.0.2.1", 3333, *args)
    assert third == (first[0], first[1], True)
    assert alloc.claim("192.0.2.1", 1111, *args) is None, "the reclaimed flow's tuple is gone"


# ---- checksum verifier ----

def _error_frame(quoted_bytes):
    return P.frame(N.icmp4_error("198.51.100.1", "198.51.100.3", quoted_bytes))


def _flip(data, offset):
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def test_checker_accepts_a_good_error_and_flags_each_bad_checksum():
    inner = raw(N.client("198.51.100.71", P.l4_tcp(), src="198.51.100.3"))
    good = _error_frame(inner)
    assert nat_checks.checksum_problems(good) == []
    outer_sum, icmp_sum = 14 + 10, 14 + 20 + 2
    assert any("IPv4 header" in p for p in nat_checks.checksum_problems(_flip(good, outer_sum)))
    assert any("ICMP checksum" in p for p in nat_checks.checksum_problems(_flip(good, icmp_sum)))
    # A wrong inner header or TCP checksum, with the ICMP checksum made right again.
    for offset, what in ((10, "quote: IPv4 header"), (20 + 16, "quote: TCP")):
        bad = _error_frame(_flip(inner, offset))
        assert any(what in p for p in nat_checks.checksum_problems(bad)), what


def test_checker_skips_a_segment_the_quote_does_not_hold():
    inner = raw(N.client("198.51.100.71", P.l4_tcp(), src="198.51.100.3"))
    assert nat_checks.checksum_problems(_error_frame(_flip(inner, 30)[:28])) == []


def test_checker_knows_udp_zero():
    v4 = P.frame(N.client("203.0.113.70", N.udp_no_checksum()))
    assert nat_checks.checksum_problems(v4) == []
    v6 = bytearray(P.frame(N.client("2001:db8:f::70", P.l4_udp())))
    v6[14 + 40 + 6:14 + 40 + 8] = b"\0\0"
    assert any("UDP" in p for p in nat_checks.checksum_problems(bytes(v6)))


def test_checker_verifies_icmpv6_over_its_pseudo_header():
    inner = raw(N.client("2001:db8:1::71", P.l4_tcp(), src="2001:db8:1::3"))
    frame = P.frame(N.icmp6_error("2001:db8:1::1", "2001:db8:1::3", inner))
    assert nat_checks.checksum_problems(frame) == []
    moved = bytearray(frame)
    moved[14 + 24 + 15] ^= 0x01  # outer destination: the pseudo-header no longer matches
    assert any("ICMPv6" in p for p in nat_checks.checksum_problems(bytes(moved)))


# ---- builders ----

def test_to_real_changes_only_addresses_ports_and_checksums():
    l3 = N.client("203.0.113.70", P.l4_tcp(options=P.SYN_OPTIONS))
    given, out = raw(l3), raw(N.to_real(l3, "198.51.100.71", 8080, "198.51.100.3", 5000))
    assert len(given) == len(out)
    assert out[12:16] == bytes([198, 51, 100, 3]) and out[16:20] == bytes([198, 51, 100, 71])
    assert struct.unpack("!HH", out[20:24]) == (5000, 8080)
    for start, end in ((0, 10), (20 + 4, 20 + 16), (20 + 18, len(given))):
        assert out[start:end] == given[start:end], f"bytes {start}..{end} must not change"


def test_gateway_rewrite_keeps_the_source():
    l3 = N.client("203.0.113.80", P.l4_udp())
    out = raw(N.to_real(l3, "198.51.100.82", 53))
    assert out[12:16] == raw(l3)[12:16] and out[20:22] == raw(l3)[20:22]


def test_rewrite_keeps_udp_zero_over_ipv4():
    out = N.to_real(N.client("203.0.113.70", N.udp_no_checksum()), "198.51.100.72", 53,
                    "198.51.100.3", 5000)
    assert out[UDP].chksum == 0


def test_same_error_keeps_type_code_and_mtu():
    error = N.icmp4_error("198.51.100.1", "198.51.100.3", b"x" * 28, kind=3, code=4, mtu=1280)
    moved = raw(N.same_error(error, b"y" * 28, dst="192.0.2.1"))
    assert moved[20:22] == b"\x03\x04" and moved[24:28] == b"\0\0\x05\x00"
    assert moved[28:] == b"y" * 28 and moved[16:20] == bytes([192, 0, 2, 1])
    assert moved[8] == 64, "TTL unchanged"
