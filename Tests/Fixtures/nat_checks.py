"""Checksum verification for NAT frames, parsed by hand (not by scapy, which would read an
ICMP error's truncated quote as a whole packet): the IPv4 header, TCP/UDP over the
pseudo-header, ICMP and ICMPv6 (with its pseudo-header), and inside an ICMP error's quote the
inner IPv4 header and, when the quote holds the whole inner segment, its TCP/UDP checksum.
A quote shorter than that cannot be verified by recomputation; the fixtures then compare it
byte for byte with the client's own packet.
"""

import ipaddress
import struct

VLAN_TPIDS = (0x8100, 0x88A8)
ICMP4_ERRORS = (3, 11)
ICMP6_ERRORS = (1, 2, 3)


def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def internet_checksum(data):
    return ~ones_sum(bytes(data)) & 0xFFFF


def _pseudo(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def _name(address):
    return str(ipaddress.ip_address(address))


def _l4_problem(where, src, dst, proto, segment):
    """Problem text for a bad TCP/UDP/ICMPv6 checksum over `segment`, or None."""
    offset = {6: 16, 17: 6, 58: 2}[proto]
    if len(segment) < offset + 2:
        return f"{where}: {len(segment)}-byte segment cannot hold a checksum"
    carried = struct.unpack("!H", segment[offset:offset + 2])[0]
    if proto == 17 and len(src) == 4 and carried == 0:
        return None  # IPv4 UDP without a checksum
    zeroed = bytearray(segment)
    zeroed[offset:offset + 2] = b"\0\0"
    want = internet_checksum(_pseudo(src, dst, proto, len(segment)) + bytes(zeroed))
    if proto == 17 and want == 0:
        want = 0xFFFF
    if carried != want:
        name = {6: "TCP", 17: "UDP", 58: "ICMPv6"}[proto]
        return (f"{where}: {name} {_name(src)}->{_name(dst)} checksum 0x{carried:04x}, "
                f"should be 0x{want:04x}")
    return None


def ip_problems(data, where="outer", quoted=False):
    """Problems of the IP packet at the start of `data`. `quoted`: the packet is an ICMP
    error's quote, possibly cut short; only what it holds whole is checked."""
    problems = []
    if len(data) < 1:
        return [f"{where}: no IP header"] if not quoted else []
    version = data[0] >> 4
    if version == 4:
        ihl = (data[0] & 0x0F) * 4
        if len(data) < ihl or ihl < 20:
            return [] if quoted else [f"{where}: IPv4 header cut short"]
        header = bytearray(data[:ihl])
        carried = struct.unpack("!H", header[10:12])[0]
        header[10:12] = b"\0\0"
        if internet_checksum(header) != carried:
            problems.append(f"{where}: IPv4 header checksum 0x{carried:04x}, should be "
                            f"0x{internet_checksum(header):04x}")
        total = struct.unpack("!H", data[2:4])[0]
        proto, src, dst, start = data[9], data[12:16], data[16:20], ihl
    elif version == 6:
        if len(data) < 40:
            return [] if quoted else [f"{where}: IPv6 header cut short"]
        total = 40 + struct.unpack("!H", data[4:6])[0]
        proto, src, dst, start = data[6], data[8:24], data[24:40], 40
    else:
        return [f"{where}: IP version {version}"]
    if len(data) < total:
        if quoted:
            return problems  # the segment is not all there: its checksum cannot be recomputed
        return problems + [f"{where}: packet says {total} bytes, {len(data)} present"]
    segment = data[start:total]
    if proto in (6, 17):
        problem = _l4_problem(where, src, dst, proto, segment)
        problems += [problem] if problem else []
    elif proto == 1 and version == 4:
        problems += _icmp_problems(where, segment, quoted, lambda body: internet_checksum(body))
    elif proto == 58 and version == 6:
        problem = _l4_problem(where, src, dst, 58, segment)
        problems += [problem] if problem else []
        problems += _icmp_problems(where, segment, quoted, None, errors=ICMP6_ERRORS)
    return problems


def _icmp_problems(where, message, quoted, checksum_of, errors=ICMP4_ERRORS):
    problems = []
    if len(message) < 8:
        return [] if quoted else [f"{where}: ICMP message of {len(message)} bytes"]
    if checksum_of is not None:
        carried = struct.unpack("!H", message[2:4])[0]
        zeroed = bytearray(message)
        zeroed[2:4] = b"\0\0"
        if checksum_of(bytes(zeroed)) != carried:
            problems.append(f"{where}: ICMP checksum 0x{carried:04x}, should be "
                            f"0x{checksum_of(bytes(zeroed)):04x}")
    if message[0] in errors and not quoted:
        problems += ip_problems(message[8:], where=f"{where} quote", quoted=True)
    return problems


def l3_offset(frame):
    """Offset of the IP header after Ethernet and up to two VLAN tags, or None."""
    offset, ethertype = 14, struct.unpack("!H", frame[12:14])[0]
    while ethertype in VLAN_TPIDS and len(frame) >= offset + 4:
        ethertype = struct.unpack("!H", frame[offset + 2:offset + 4])[0]
        offset += 4
    return offset if ethertype in (0x0800, 0x86DD) else None


def checksum_problems(frame):
    """Every checksum problem of an Ethernet frame carrying IP (empty list: all valid)."""
    offset = l3_offset(frame)
    if offset is None:
        return []
    return ip_problems(frame[offset:])
