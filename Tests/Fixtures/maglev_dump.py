"""Reads a service's Maglev table as the XDP program sees it: (M, slots) where slots[i] is
the address of the real in slot i (slots[0] unused; None where a slot names no real).

`usher maps dump --json` names the service's inner map (maglev.map_id) and the real ids'
addresses; the slots themselves are read from that inner map with bpftool, and their per-real
counts must agree with the shares usher reports. The table's contents are the control
plane's business: the fixtures only read them, never recompute Maglev.
"""

import json
import shutil
import subprocess

USHER_NO_REAL = 0xFFFFFFFF


def _u32(value):
    """A key or value from `bpftool -j`: an int (with BTF) or a list of hex byte strings."""
    if isinstance(value, int):
        return value
    return int.from_bytes(bytes(int(byte, 16) for byte in value), "little")


def read_array_map(map_id):
    """{key: value} of a u32 -> u32 BPF array, by kernel map id."""
    bpftool = shutil.which("bpftool") or "/usr/sbin/bpftool"
    out = subprocess.run([bpftool, "-j", "map", "dump", "id", str(map_id)],
                         capture_output=True, text=True, check=True)
    entries = json.loads(out.stdout)
    return {_u32(e["key"]): _u32(e["value"]) for e in entries}


def maglev_table(dump, service):
    """service: as usher names it in the dump, e.g. "203.0.113.60:80/tcp"."""
    vip = next((v for v in dump.get("vips", []) if v.get("service") == service), None)
    assert vip is not None, f"maps dump has no VIP {service!r}: {[v.get('service') for v in dump.get('vips', [])]}"
    table = vip.get("maglev")
    assert table, f"{service} has no Maglev table in the dump: {vip}"
    size = table["size"]
    values = read_array_map(table["map_id"])
    assert values.get(0) == size, f"slot 0 of {service}'s table holds {values.get(0)}, dump says M = {size}"
    addresses = {real["id"]: real["address"] for real in dump.get("reals", [])}
    slots = [None]
    for index in range(1, size + 1):
        real_id = values[index]
        slots.append(None if real_id == USHER_NO_REAL else addresses.get(real_id, f"#{real_id}"))
    for share in table.get("shares", []):
        owned = sum(1 for slot in slots[1:] if slot == share.get("address"))
        assert owned == share["slots"], f"{service}: map gives {share.get('address')} {owned} slots, dump says {share['slots']}"
    return size, slots
