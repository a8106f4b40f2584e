"""flowhash.py against a second implementation in C (jhash_ref.c) that reads the packet bytes
the way the XDP program does. Needs only gcc, not root."""

import ipaddress
import os
import random
import shutil
import subprocess

import pytest

import flowhash

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def jhash_ref(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: cannot build the C reference hash")
    binary = tmp_path_factory.mktemp("jhash") / "jhash_ref"
    subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-o", str(binary),
                    os.path.join(HERE, "jhash_ref.c")], check=True)
    return str(binary)


def _flows():
    """Fixed flows from the fixtures plus seeded random ones of both families."""
    rng = random.Random(0x5553)
    flows = [
        ("192.0.2.1", "203.0.113.10", 40000, 80, 6, False),
        ("192.0.2.1", "203.0.113.10", 40000, 80, 6, True),
        ("2001:db8:c::1", "2001:db8:f::10", 40000, 80, 6, False),
        ("0.0.0.0", "0.0.0.0", 0, 0, 0, False),
        ("255.255.255.255", "255.255.255.255", 65535, 65535, 17, False),
    ]
    for _ in range(300):
        v6 = rng.random() < 0.5
        bits = 128 if v6 else 32
        make = ipaddress.IPv6Address if v6 else ipaddress.IPv4Address
        flows.append((str(make(rng.getrandbits(bits))), str(make(rng.getrandbits(bits))),
                      rng.randrange(65536), rng.randrange(65536), rng.choice((6, 17)),
                      rng.random() < 0.2))
    return flows


def test_python_hash_matches_c_reference(jhash_ref):
    """flowhash.flow_hash equals jhash_3words over natively loaded packet bytes, and the
    byte-wise jhash of the same 12 bytes, for 305 flows of both families."""
    flows = _flows()
    lines = "".join(
        f"{ipaddress.ip_address(s).packed.hex()} {ipaddress.ip_address(d).packed.hex()} "
        f"{sp} {dp} {proto} {int(src_only)}\n"
        for s, d, sp, dp, proto, src_only in flows)
    out = subprocess.run([jhash_ref], input=lines, capture_output=True, text=True, check=True)
    rows = out.stdout.split("\n")[:-1]
    assert len(rows) == len(flows)
    for flow, row in zip(flows, rows):
        words_hash, bytewise_hash = (int(x, 16) for x in row.split())
        assert words_hash == bytewise_hash, f"C reference disagrees with itself for {flow}"
        assert flowhash.flow_hash(*flow[:5], source_only=flow[5]) == words_hash, f"flow {flow}"


def test_fold_reads_network_bytes_little_endian():
    """fold and ports_word do what contracts.md says, on hand-checked values."""
    assert flowhash.fold("192.0.2.1") == 0x010200C0
    assert flowhash.fold("2001:db8::1") == 0x0100_0000 ^ 0xB80D_0120
    assert flowhash.ports_word(0x1234, 80) == (0x3412 << 16) | 0x5000


def test_encap_sources_take_host_bits_from_hash():
    """Outer sources: a /32 is fixed; a /26 takes the low 6 hash bits; IPv6 only touches the
    last 32 bits; the flow label is the low 20 bits."""
    assert flowhash.encap_source_v4("198.51.100.64/32", 0xFFFFFFFF) == "198.51.100.64"
    assert flowhash.encap_source_v4("198.51.100.64/26", 0x12345679) == "198.51.100.121"
    assert flowhash.encap_source_v6("2001:db8:2::/112", 0xABCD1234) == "2001:db8:2::1234"
    assert flowhash.encap_source_v6("2001:db8:2::/64", 0xABCD1234) == "2001:db8:2::abcd:1234"
    assert flowhash.encap_source_v6("2001:db8:2::1/128", 0xABCD1234) == "2001:db8:2::1"
    assert flowhash.flow_label(0xABCD1234) == 0xD1234
