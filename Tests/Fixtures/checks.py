"""Byte-exact comparison with readable failures, checksum verification, counter deltas."""

import io
from contextlib import redirect_stdout

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import raw
from scapy.layers.inet import in4_chksum
from scapy.layers.inet6 import in6_chksum
from scapy.utils import checksum, hexdump

from case import FLOW_EVENTS, VERDICT_REASONS


def decode(data):
    """scapy's show2() of a frame, as text (never raises: malformed frames are expected)."""
    try:
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            Ether(data).show2()
        return buffer.getvalue()
    except Exception as error:  # noqa: BLE001 - a decoder failure must not hide the diff
        return f"(scapy could not decode it: {error})\n"


def _hexdump(data):
    return hexdump(data, dump=True) if data else "(empty)"


def frame_diff(expected, actual):
    """Where two frames first differ, both decoded, and both hex dumps."""
    first = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b),
                 min(len(expected), len(actual)))
    window = slice(max(0, first - 8), first + 16)
    return "\n".join([
        f"frames differ at offset {first} (0x{first:x}); expected {len(expected)} bytes, "
        f"got {len(actual)}",
        f"  expected[{window.start}:{window.stop}] {expected[window].hex(' ')}",
        f"  actual  [{window.start}:{window.stop}] {actual[window].hex(' ')}",
        "--- expected, decoded ---", decode(expected),
        "--- actual, decoded ---", decode(actual),
        "--- expected, hex ---", _hexdump(expected),
        "--- actual, hex ---", _hexdump(actual),
    ])


def _layer_bytes(layer):
    """The bytes of a dissected layer and everything after it (as received)."""
    return raw(layer)


def checksum_problems(data):
    """Every IPv4 header checksum and TCP/UDP checksum in the frame (inner headers of
    IP-in-IP included), recomputed and compared with what the frame carries."""
    problems = []
    packet = Ether(data)
    layer = packet
    while layer is not None and layer.name != "NoPayload":
        if isinstance(layer, IP):
            header = bytearray(_layer_bytes(layer)[:layer.ihl * 4])
            header[10:12] = b"\0\0"
            want = checksum(bytes(header))
            if want != layer.chksum:
                problems.append(f"IPv4 {layer.src}->{layer.dst}: header checksum 0x{layer.chksum:04x}, "
                                f"should be 0x{want:04x}")
        if isinstance(layer, (TCP, UDP)):
            ip_layer = layer.underlayer
            while ip_layer is not None and not isinstance(ip_layer, (IP, IPv6)):
                ip_layer = ip_layer.underlayer
            # The segment runs from this header to the end of the IP payload (any Ethernet
            # padding after it is not part of it).
            ip_bytes = _layer_bytes(ip_layer)
            start = len(ip_bytes) - len(_layer_bytes(layer))
            end = ip_layer.len if isinstance(ip_layer, IP) else 40 + ip_layer.plen
            segment = bytearray(ip_bytes[start:end])
            offset = 16 if isinstance(layer, TCP) else 6
            carried = int.from_bytes(segment[offset:offset + 2], "big")
            segment[offset:offset + 2] = b"\0\0"
            proto = 6 if isinstance(layer, TCP) else 17
            if isinstance(ip_layer, IP):
                want = in4_chksum(proto, ip_layer, bytes(segment))
            else:
                want = in6_chksum(proto, ip_layer, bytes(segment))
            if isinstance(layer, UDP) and want == 0:
                want = 0xFFFF
            if isinstance(layer, UDP) and isinstance(ip_layer, IP) and carried == 0:
                pass  # IPv4 UDP without a checksum is allowed
            elif want != carried:
                problems.append(f"{layer.name} {layer.sport}->{layer.dport} over {ip_layer.name}: "
                                f"checksum 0x{carried:04x}, should be 0x{want:04x}")
        layer = layer.payload
    return problems


def flatten_stats(stats):
    """`usher stats --json` as {"global.tx.packets": N, "service.web.no_real": N,
    "real.198.51.100.11.packets": N} (reals listed twice are summed)."""
    flat = {}
    for reason, counter in stats.get("global", {}).items():
        for key, value in counter.items():
            flat[f"global.{reason}.{key}"] = value
    for entry in stats.get("services", []):
        for key, value in entry.items():
            if isinstance(value, int) and not isinstance(value, bool):
                flat[f"service.{entry['name']}.{key}"] = value
    for entry in stats.get("reals", []):
        for key, value in entry.items():
            if isinstance(value, int) and not isinstance(value, bool):
                name = f"real.{entry['address']}.{key}"
                flat[name] = flat.get(name, 0) + value
    return flat


def stats_delta(before, after):
    flat_before, flat_after = flatten_stats(before), flatten_stats(after)
    return {key: flat_after.get(key, 0) - flat_before.get(key, 0)
            for key in set(flat_before) | set(flat_after)}


def checked_counter_keys(delta, expected, verdict):
    """The counters a single-packet case pins down exactly: every verdict reason, the flow
    events (except for drops, where contracts.md leaves them open), and per service and per
    real what the packet must (or must not) have moved."""
    keys = {f"global.{reason}.{unit}" for reason in VERDICT_REASONS for unit in ("packets", "bytes")}
    if verdict != "XDP_DROP":
        keys |= {f"global.{event}.packets" for event in FLOW_EVENTS}
    for key in set(delta) | set(expected):
        kind, _, rest = key.partition(".")
        field = rest.rpartition(".")[2]
        if kind == "service" and field in ("packets", "bytes", "no_real") or \
                kind == "service" and field == "new_flows" and verdict != "XDP_DROP" or \
                kind == "real" and field in ("packets", "new_flows"):
            keys.add(key)
    return keys | set(expected)


def counter_problems(delta, expected, verdict):
    problems = []
    for key in sorted(checked_counter_keys(delta, expected, verdict)):
        want, got = expected.get(key, 0), delta.get(key, 0)
        if want != got:
            problems.append(f"{key}: moved by {got}, expected {want}")
    return problems
