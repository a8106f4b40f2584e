import CUsherABI
import Foundation
import UsherCore

extension Dataplane {
    /// Every tracked flow of usher_ct_v3 (dsr) and usher_nat_v2 (nat/gateway, joined with its
    /// usher_natrev_v2 entry), at most `limit`; `total` counts all entries read.
    /// Flows are listed dsr first (in the order of the table's sets), nat in the kernel's order;
    /// service names come from `names` (the state the last apply returned) when given.
    public func trackedFlows(limit: Int, names: DataplaneState? = nil) throws -> (flows: [TrackedFlow], total: Int) {
        let limit = max(0, limit)
        let context = try FlowContext(self, names: names)
        var flows: [TrackedFlow] = []
        let dsr = maps.flows.entries(limit: limit)
        // Counted without being listed when there are more than are shown (the metrics' count: limit 0).
        let dsrTotal = dsr.count < limit ? dsr.count : maps.flows.count()
        for (key, value) in dsr {
            guard let ends = FlowEnds(key) else { continue }
            flows.append(TrackedFlow(
                proto: ends.proto, client: ends.src, clientPort: ends.sport, vip: ends.dst, vipPort: ends.dport,
                serviceID: value.service_id, service: context.name(value.service_id),
                mode: context.modes[value.service_id].map(ForwardingMode.abiName) ?? "dsr",
                real: context.realAddress(value.real_id, service: value.service_id), realPort: ends.dport,
                snatAddress: nil, snatPort: nil, state: "tracked", idleSeconds: context.idle(value.last_seen_ns)))
        }
        let (nat, natTotal) = try natTrackedFlows(limit: limit - flows.count, context: context)
        return (flows + nat.map(\.flow), dsrTotal + natTotal)
    }

    /// The nat/gateway flows of usher_nat_v2 only, with their real ids (for `maps dump`).
    func trackedFlowsNATOnly(limit: Int) throws -> (flows: [(flow: TrackedFlow, realID: UInt32)], total: Int) {
        try natTrackedFlows(limit: max(0, limit), context: FlowContext(self, names: nil))
    }

    /// Up to `limit` entries of usher_nat_v2 joined with their usher_natrev_v2 entries, and the
    /// number of entries of usher_nat_v2.
    private func natTrackedFlows(limit: Int, context: FlowContext) throws
        -> (flows: [(flow: TrackedFlow, realID: UInt32)], total: Int) {
        let nat = try maps.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self)
        let shown = nat.prefix(max(0, limit))
        // Reply sides of the flows shown, found by their client tuple (the real may be gone, so
        // the reply key cannot always be rebuilt).
        var replies: [[UInt8]: usher_nat_reply] = [:]
        if !shown.isEmpty {
            let wanted = Set(shown.map { getBytes($0.0) })
            for (_, reply) in try maps.natReplies.entries(as: (usher_flow_key, usher_nat_reply).self) {
                let client = getBytes(reply.client)
                if wanted.contains(client) { replies[client] = reply }
            }
        }
        var flows: [(flow: TrackedFlow, realID: UInt32)] = []
        for (key, value) in shown {
            guard let ends = FlowEnds(key) else { continue }
            let reply = replies[getBytes(key)]
            let snat = IPAddress(abiBytes: getBytes(value.snat_addr), family: key.family)
            let snatPort = UInt16(bigEndian: value.snat_port)
            let gatewayLike = snat == ends.src && snatPort == ends.sport
            let flow = TrackedFlow(
                proto: ends.proto, client: ends.src, clientPort: ends.sport, vip: ends.dst, vipPort: ends.dport,
                serviceID: value.service_id, service: context.name(value.service_id),
                mode: context.modes[value.service_id].map(ForwardingMode.abiName) ?? (gatewayLike ? "gateway" : "nat"),
                real: context.realAddress(value.real_id, service: value.service_id),
                realPort: UInt16(bigEndian: value.real_port), snatAddress: snat, snatPort: snatPort,
                state: TrackedFlow.stateName(client: value.state, real: reply?.state ?? 0),
                idleSeconds: context.idle(max(value.last_seen_ns, reply?.last_seen_ns ?? 0)))
            flows.append((flow, value.real_id))
        }
        return (flows, nat.count)
    }

    /// SNAT ports in use per pool address: number of usher_natrev_v2 entries whose dst is it.
    /// Gateway flows (whose "SNAT" address is the client's own) are not counted.
    public func snatPortsInUse() throws -> [IPAddress: Int] {
        var counts: [IPAddress: Int] = [:]
        for (key, reply) in try maps.natReplies.entries(as: (usher_flow_key, usher_nat_reply).self) {
            let gateway = getBytes(key.dst) == getBytes(reply.client.src) && key.dport == reply.client.sport
            guard !gateway, let address = IPAddress(abiBytes: getBytes(key.dst), family: key.family) else { continue }
            counts[address, default: 0] += 1
        }
        return counts
    }

    /// CLOCK_MONOTONIC now, the clock of the data plane's last_seen stamps.
    package static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}

/// What naming a flow needs: service modes and names, the present reals, the time now.
private struct FlowContext {
    let modes: [UInt32: UInt8]
    let reals: [usher_real]
    let names: DataplaneState?
    let now = Dataplane.monotonicNanoseconds()

    init(_ dataplane: Dataplane, names: DataplaneState?) throws {
        var modes: [UInt32: UInt8] = [:]
        let slot = try dataplane.maps.runningGeneration() & 1
        for (_, value) in try dataplane.maps.vipEntries(slot: slot) { modes[value.id] = value.mode }
        self.modes = modes
        reals = try dataplane.maps.realEntries(slot: slot)
        self.names = names
    }

    func name(_ serviceID: UInt32) -> String? { names?.service(id: serviceID)?.name }

    /// The real's address while its entry is present and belongs to the service.
    func realAddress(_ id: UInt32, service: UInt32) -> IPAddress? {
        guard id < UInt32(reals.count) else { return nil }
        let real = reals[Int(id)]
        guard real.flags & UInt8(USHER_REAL_F_PRESENT) != 0, UInt32(real.service_id) == service else { return nil }
        return IPAddress(abiBytes: getBytes(real.addr), family: real.family)
    }

    /// Whole seconds since `lastSeen`.
    func idle(_ lastSeen: UInt64) -> UInt64 { now > lastSeen ? (now - lastSeen) / 1_000_000_000 : 0 }
}

/// The two ends of a flow key, decoded (nil for a family or protocol this version does not know).
struct FlowEnds {
    var proto: TransportProtocol
    var src: IPAddress, sport: UInt16
    var dst: IPAddress, dport: UInt16

    init?(_ key: usher_flow_key) {
        guard let src = IPAddress(abiBytes: getBytes(key.src), family: key.family),
              let dst = IPAddress(abiBytes: getBytes(key.dst), family: key.family) else { return nil }
        switch key.proto {
        case TransportProtocol.tcp.number: proto = .tcp
        case TransportProtocol.udp.number: proto = .udp
        default: return nil
        }
        self.src = src
        self.dst = dst
        sport = UInt16(bigEndian: key.sport)
        dport = UInt16(bigEndian: key.dport)
    }
}
