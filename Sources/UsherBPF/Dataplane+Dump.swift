import CLibBPF
import CUsherABI
import Foundation
import UsherCore

extension Dataplane {
    /// Reads the maps back: every VIP with its Maglev table's share per real, the present
    /// reals (one entry per service that lists a real), up to `flowLimit` tracked flows (dsr, and
    /// as many nat/gateway flows), the global entry, the SNAT pools and the address filter.
    public func dump(flowLimit: Int = 1000) throws -> MapsDump {
        let live = try maps.readLive()
        let realAddresses = live.reals.compactMapValues { IPAddress(abiBytes: getBytes($0.addr), family: $0.family) }
        var vips: [MapsDump.VIP] = []
        for (key, value) in live.vips {
            let table = try live.maglevMapIDs[value.id].map { try maglevTable(mapID: $0, addresses: realAddresses) }
            vips.append(MapsDump.VIP(
                service: key.description, key: key, id: value.id, mode: ForwardingMode.abiName(value.mode),
                flags: value.flags & UInt8(USHER_SVC_F_SRC_HASH) != 0 ? ["source-hash"] : [],
                maglev: table))
        }
        vips.sort { $0.id < $1.id }
        let reals = live.reals.sorted { $0.key < $1.key }.map { id, real in
            MapsDump.Real(id: id, serviceID: UInt32(real.service_id), address: realAddresses[id], dstMAC: MACAddress(bytes: getBytes(real.dst_mac)),
                          srcMAC: MACAddress(bytes: getBytes(real.src_mac)), ifindex: real.ifindex)
        }
        var dump = MapsDump(pinDirectory: pinDirectory, vips: vips, reals: reals,
                            conntrack: try conntrack(limit: flowLimit), global: Self.describe(live.global))
        dump.snatPools = try snatPoolsDump()
        dump.addressFilter = try addressFilterDump()
        dump.nat = try natFlowsDump(limit: flowLimit, realAddresses: realAddresses)
        return dump
    }

    /// Empties the flow tables: usher_ct_v3 (dsr) and both NAT maps (usher_nat_v2,
    /// usher_natrev_v2, which frees every SNAT port); returns how many flows were removed (dsr
    /// flows plus nat/gateway flows, each counted once). Flows the data plane adds meanwhile
    /// may stay; each walk is bounded by twice its map's size.
    public func flushFlows() throws -> Int {
        let flows = maps.flows.removeAll()
        let natFlows = try Self.empty(maps.natFlows, bound: 2 * Int(USHER_NAT_DEFAULT_ENTRIES))
        _ = try Self.empty(maps.natReplies, bound: 2 * Int(USHER_NAT_DEFAULT_ENTRIES))
        return flows + natFlows
    }

    /// Deletes the entries of a NAT map (a hash map keyed by usher_flow_key); returns how many.
    private static func empty(_ map: MapFD, bound: Int) throws -> Int {
        var removed = 0
        while removed < bound {
            let keys = try map.keys(as: usher_flow_key.self, limit: 4096)
            if keys.isEmpty { break }
            for key in keys where try map.delete(key) { removed += 1 }
        }
        return removed
    }

    // MARK: Pieces

    private func maglevTable(mapID: UInt32, addresses: [UInt32: IPAddress]) throws -> MapsDump.MaglevTable {
        let fd = bpf_map_get_fd_by_id(mapID)
        guard fd >= 0 else { throw BPFError.call("bpf_map_get_fd_by_id", on: "Maglev table map id \(mapID)", errno: errno) }
        let owned = OwnedFD(fd)
        let map = MapFD(fd: owned.fd, name: "usher_mg (id \(mapID))")
        let slots = try map.arrayEntries(as: UInt32.self, count: Int(try map.info().max_entries))
        let size = slots.first ?? 0
        var counts: [UInt32: UInt32] = [:]
        var empty: UInt32 = 0
        for slot in slots.dropFirst().prefix(Int(size)) {
            if slot == UInt32(USHER_NO_REAL) { empty += 1 } else { counts[slot, default: 0] += 1 }
        }
        let shares = counts.sorted { $0.key < $1.key }.map { id, n in
            MapsDump.Share(realID: id, address: addresses[id], slots: n, fraction: size == 0 ? 0 : Double(n) / Double(size))
        }
        return MapsDump.MaglevTable(mapID: mapID, size: size, emptySlots: empty, shares: shares)
    }

    private func conntrack(limit: Int) throws -> MapsDump.Conntrack {
        let entries = maps.flows.entries(limit: limit + 1)
        let nowNs = Self.monotonicNanoseconds()
        var flows: [MapsDump.Flow] = []
        for (key, value) in entries.prefix(limit) {
            let src = IPAddress(abiBytes: getBytes(key.src), family: key.family)
            let dst = IPAddress(abiBytes: getBytes(key.dst), family: key.family)
            let idle = nowNs > value.last_seen_ns ? Double(nowNs - value.last_seen_ns) / 1e9 : 0
            flows.append(MapsDump.Flow(
                client: Self.endpoint(src, UInt16(bigEndian: key.sport)), vip: Self.endpoint(dst, UInt16(bigEndian: key.dport)),
                proto: key.proto == 6 ? "tcp" : key.proto == 17 ? "udp" : String(key.proto),
                realID: value.real_id, serviceID: value.service_id, idleSeconds: idle))
        }
        return MapsDump.Conntrack(flows: flows, limit: limit, truncated: entries.count > limit)
    }

    static func endpoint(_ address: IPAddress?, _ port: UInt16) -> String {
        guard let address else { return "?:\(port)" }
        return address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// The global entry as prefixes: base address / (bits - host bits taken from the hash).
    static func describe(_ global: usher_global) -> MapsDump.Global {
        func prefix(_ base: [UInt8], _ mask: [UInt8], bits: Int) -> String? {
            guard base.contains(where: { $0 != 0 }) || mask.contains(where: { $0 != 0 }),
                  let address = IPAddress(bytes: base) else { return nil }
            return "\(address)/\(bits - mask.reduce(0) { $0 + $1.nonzeroBitCount })"
        }
        return MapsDump.Global(
            encapSourceV4: prefix(getBytes(global.encap_src4), getBytes(global.encap_src4_hostmask), bits: 32),
            encapSourceV6: prefix(getBytes(global.encap_src6), getBytes(global.encap_src6_hostmask), bits: 128),
            flags: global.flags, nrCPUs: global.nr_cpus, natTCPIdleSeconds: global.nat_tcp_idle_s,
            natTCPClosedSeconds: global.nat_tcp_closed_s, natUDPIdleSeconds: global.nat_udp_idle_s)
    }
}
