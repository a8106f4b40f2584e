"""Reads a service's Maglev table out of `usher maps dump --json`: (M, slots) where slots[i]
is the address of the real in slot i (slots[0] unused; None where the slot names no real).
The Maglev table contents are the control plane's; the fixtures only read them."""


def _service_entry(dump, name):
    services = dump.get("services") if isinstance(dump, dict) else None
    for entry in services or []:
        if entry.get("name") == name:
            return entry
    raise AssertionError(f"maps dump has no service named {name!r}: {sorted(dump)}")


def _real_addresses(dump):
    reals = dump.get("reals", [])
    return {entry["id"]: entry["address"] for entry in reals if "id" in entry}


def maglev_table(dump, service_name):
    service = _service_entry(dump, service_name)
    table = service.get("maglev")
    if not isinstance(table, dict) or "slots" not in table:
        raise AssertionError(f"maps dump of {service_name!r} has no maglev.slots: {service}")
    size = table.get("size", len(table["slots"]))
    addresses = _real_addresses(dump)
    slots = [None] + [addresses.get(real_id) if isinstance(real_id, int) else real_id
                      for real_id in table["slots"]]
    assert len(slots) == size + 1, f"table of {service_name}: size {size}, {len(slots) - 1} slots"
    return size, slots
