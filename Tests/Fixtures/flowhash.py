"""Usher's flow hash, written from contracts.md so the fixtures can predict what the XDP
program computes: which Maglev slot a flow lands in, the host bits of an IP-in-IP outer
source, the flow label of an IPv6-in-IPv6 outer header.

Everything here is u32 wrapping arithmetic; "native load" means little-endian (x86), which is
how the program reads network-order bytes straight out of the packet.
"""

import ipaddress

USHER_HASH_SEED = 0x55534852
JHASH_INITVAL = 0xDEADBEEF
_M32 = 0xFFFFFFFF


def _rol32(word, shift):
    return ((word << shift) | (word >> (32 - shift))) & _M32


def jhash_3words(a, b, c, initval):
    """Linux include/linux/jhash.h jhash_3words (= __jhash_nwords + __jhash_final)."""
    start = (JHASH_INITVAL + (3 << 2) + initval) & _M32
    a = (a + start) & _M32
    b = (b + start) & _M32
    c = (c + start) & _M32
    # __jhash_final(a, b, c)
    c ^= b
    c = (c - _rol32(b, 14)) & _M32
    a ^= c
    a = (a - _rol32(c, 11)) & _M32
    b ^= a
    b = (b - _rol32(a, 25)) & _M32
    c ^= b
    c = (c - _rol32(b, 16)) & _M32
    a ^= c
    a = (a - _rol32(c, 4)) & _M32
    b ^= a
    b = (b - _rol32(a, 14)) & _M32
    c ^= b
    c = (c - _rol32(b, 24)) & _M32
    return c


def _address_bytes(address):
    """4 or 16 network-order bytes from text, bytes or an ipaddress object."""
    if isinstance(address, (bytes, bytearray)):
        if len(address) not in (4, 16):
            raise ValueError(f"an address is 4 or 16 bytes, not {len(address)}")
        return bytes(address)
    return ipaddress.ip_address(address).packed


def fold(address):
    """IPv4: the 4 bytes as a little-endian u32. IPv6: XOR of its four such words."""
    raw = _address_bytes(address)
    value = 0
    for offset in range(0, len(raw), 4):
        value ^= int.from_bytes(raw[offset:offset + 4], "little")
    return value


def ports_word(sport, dport):
    """(sport_raw << 16) | dport_raw, each port's network-order bytes loaded little-endian."""
    sport_raw = int.from_bytes(sport.to_bytes(2, "big"), "little")
    dport_raw = int.from_bytes(dport.to_bytes(2, "big"), "little")
    return ((sport_raw << 16) | dport_raw) & _M32


def flow_hash(src, dst, sport, dport, proto, source_only=False):
    """The hash of a client packet (src = client, dst = VIP, ports as numbers)."""
    if source_only:
        return jhash_3words(fold(src), 0, 0, USHER_HASH_SEED)
    return jhash_3words(fold(src), fold(dst) ^ proto, ports_word(sport, dport), USHER_HASH_SEED)


def maglev_slot(hash_value, table_size):
    """Index into a Maglev inner map: slot 0 holds M, slots 1..M the real ids."""
    return 1 + hash_value % table_size


def encap_source_v4(prefix, hash_value):
    """Outer IPv4 source: base | (hash & host bits of the prefix)."""
    net = ipaddress.ip_network(prefix, strict=False)
    hostmask = int(net.hostmask)
    base = int(ipaddress.ip_interface(prefix).ip) & ~hostmask & _M32
    return str(ipaddress.IPv4Address(base | (hash_value & hostmask)))


def encap_source_v6(prefix, hash_value):
    """Outer IPv6 source: base with its last 32 bits |= hash & host bits (of those 32 bits)."""
    net = ipaddress.ip_network(prefix, strict=False)
    hostmask = int(net.hostmask)
    base = int(ipaddress.ip_interface(prefix).ip) & ~hostmask
    return str(ipaddress.IPv6Address(base | (hash_value & hostmask & _M32)))


def flow_label(hash_value):
    """Flow label of an IPv6-in-IPv6 outer header."""
    return hash_value & 0xFFFFF
