import CUsherABI
import UsherCore

extension Dataplane {
    /// Makes every resolved real entry follow the kernel's current next hop (a real's new MAC
    /// after a replaced NIC or a moved VM, a new gateway or egress interface after a route
    /// change), and returns what it rewrote, for the log.
    ///
    /// Each present entry of usher_reals_v3 written from a resolved next hop (a nonzero
    /// ifindex; an explicit `mac:` is written with ifindex 0 and is left alone) is looked up
    /// with `resolver.currentNextHop(for:)` — once per address, never provoking resolution or
    /// waiting — and, if its destination MAC, source MAC or ifindex differ, replaced by one map
    /// update: the data plane sees the old entry or the new one, never a mix. A real with no
    /// usable entry now keeps the next hop it has (as `apply` does for a real that stopped
    /// answering). Every other field (address, service, port, flags) is kept.
    ///
    /// The caller must hold the same lock as `apply` (the daemon's state lock): both write
    /// usher_reals_v3. Record the changes in the saved state with `DataplaneState.record(_:)`.
    public func refreshNextHops(resolver: NeighborResolving) throws -> [NextHopChange] {
        // The running generation's entries, in place: the next apply builds its generation from
        // the kernel's next hops as well.
        let slot = try maps.runningGeneration() & 1
        let entries = try maps.realEntries(slot: slot)
        var current: [IPAddress: NextHop?] = [:]
        var changes: [NextHopChange] = []
        for (index, entry) in entries.enumerated() where entry.flags & UInt8(USHER_REAL_F_PRESENT) != 0 && entry.ifindex != 0 {
            guard let address = IPAddress(abiBytes: getBytes(entry.addr), family: entry.family),
                  let oldMAC = MACAddress(bytes: getBytes(entry.dst_mac)),
                  let oldSource = MACAddress(bytes: getBytes(entry.src_mac)) else { continue }
            if current[address] == nil { current[address] = .some(resolver.currentNextHop(for: address)) }
            guard let hop = current[address] ?? nil,
                  hop.mac != oldMAC || hop.sourceMAC != oldSource || hop.ifindex != entry.ifindex else { continue }
            var updated = entry
            setBytes(&updated.dst_mac, hop.mac.bytes)
            setBytes(&updated.src_mac, hop.sourceMAC.bytes)
            updated.ifindex = hop.ifindex
            let id = UInt32(index)
            try maps.reals.update(slot * UInt32(USHER_MAX_REALS) + id, updated)
            let old = NextHop(ifindex: entry.ifindex, interface: "ifindex \(entry.ifindex)", mac: oldMAC, sourceMAC: oldSource)
            changes.append(NextHopChange(realID: id, serviceID: UInt32(entry.service_id), address: address, old: old, new: hop))
        }
        return changes
    }
}

extension DataplaneState {
    /// Records next hops rewritten by `Dataplane.refreshNextHops(resolver:)`, so that the saved
    /// state says what the maps hold.
    public mutating func record(_ changes: [NextHopChange]) {
        for change in changes {
            guard let index = reals.firstIndex(where: { $0.id == change.realID }) else { continue }
            reals[index].mac = change.new.mac
            reals[index].nextHop = change.new
        }
    }
}
