import CUsherABI
import Foundation

/// A flow read for sync, with the local times it carries (for telling echoes apart).
struct ScannedFlow {
    var record: FlowRecord
    var key: FlowKeyID
    var lastSeen: UInt64
    var replyLastSeen: UInt64
}

/// What became of one received flow.
enum FlowWrite {
    case written(key: FlowKeyID, lastSeen: UInt64, replyLastSeen: UInt64)
    case keptLocal
    /// No such service, real or interface here (the configs differ, or an apply is under way).
    case unmapped
}

/// Flow-state sync on the tables (Docs/ARCHITECTURE.md, "Flow-state sync"): a walk of the mapped
/// flow table (usher_ct_v3) and whole-map batch reads of usher_nat_v2 and usher_natrev_v2 that
/// keep the entries changed since a time, and single writes of received flows under
/// `FlowMerge`'s rule.
extension Dataplane {
    /// Every flow whose last packet (either way) is at or after `since` (local monotonic ns);
    /// flows whose service or real is not present (being removed) are left out.
    func scanFlows(since: UInt64, now: UInt64, index: inout FlowSyncIndex) throws -> [ScannedFlow] {
        var out: [ScannedFlow] = []
        for (key, flow) in maps.flows.entries() where flow.last_seen_ns >= since {
            guard let service = index.services[flow.service_id], let real = index.real(flow.real_id, of: flow.service_id)
            else { continue }
            let record = FlowRecord(
                kind: .tracked, family: key.family, proto: key.proto, client: getBytes(key.src), clientPort: UInt16(bigEndian: key.sport),
                vip: getBytes(key.dst), vipPort: UInt16(bigEndian: key.dport), servicePort: UInt16(bigEndian: service.key.port),
                real: getBytes(real.addr), realConfiguredPort: UInt16(bigEndian: real.port),
                ageMilliseconds: FlowMerge.age(now: now, lastSeen: flow.last_seen_ns))
            out.append(ScannedFlow(record: record, key: FlowKeyID(key), lastSeen: flow.last_seen_ns, replyLastSeen: 0))
        }
        let nat = try maps.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self)
        let natReplies = try maps.natReplies.entries(as: (usher_flow_key, usher_nat_reply).self)
        // The clients of the flows that changed either way; only their reply entries are indexed
        // (a round where little changed costs the two reads and two filters).
        var changed = Set<FlowKeyID>()
        for (key, flow) in nat where flow.last_seen_ns >= since { changed.insert(FlowKeyID(key)) }
        for (_, reply) in natReplies where reply.last_seen_ns >= since { changed.insert(FlowKeyID(reply.client)) }
        guard !changed.isEmpty else { return out }
        var replies: [FlowKeyID: (key: usher_flow_key, reply: usher_nat_reply)] = [:]
        for (key, reply) in natReplies {
            let client = FlowKeyID(reply.client)
            if changed.contains(client) { replies[client] = (key, reply) }
        }
        for (key, flow) in nat {
            let id = FlowKeyID(key)
            guard changed.contains(id), let (replyKey, reply) = replies[id], replyKey.dport == flow.snat_port,
                  replyKey.sport == flow.real_port, sameBytes(replyKey.dst, flow.snat_addr), reply.real_id == flow.real_id,
                  let service = index.services[flow.service_id], let real = index.real(flow.real_id, of: flow.service_id),
                  let interface = index.interfaceName(reply.ifindex)
            else { continue }
            let translation = FlowRecord.Translation(
                snatAddress: getBytes(flow.snat_addr), snatPort: UInt16(bigEndian: flow.snat_port),
                realPort: UInt16(bigEndian: flow.real_port), clientState: flow.state, replyState: reply.state,
                replyAgeMilliseconds: FlowMerge.age(now: now, lastSeen: reply.last_seen_ns),
                clientMAC: getBytes(reply.client_mac), interface: interface)
            let record = FlowRecord(
                kind: .nat, family: key.family, proto: key.proto, client: getBytes(key.src), clientPort: UInt16(bigEndian: key.sport),
                vip: getBytes(key.dst), vipPort: UInt16(bigEndian: key.dport), servicePort: UInt16(bigEndian: service.key.port),
                real: getBytes(real.addr), realConfiguredPort: UInt16(bigEndian: real.port),
                ageMilliseconds: FlowMerge.age(now: now, lastSeen: flow.last_seen_ns), translation: translation)
            out.append(ScannedFlow(record: record, key: id, lastSeen: flow.last_seen_ns, replyLastSeen: reply.last_seen_ns))
        }
        return out
    }

    /// Writes one received flow if `FlowMerge` says so: a tracked flow's way of usher_ct_v3; a
    /// nat flow's usher_natrev_v2 entry (which reserves its SNAT port), then its usher_nat_v2 entry.
    func writeFlow(_ record: FlowRecord, now: UInt64, index: inout FlowSyncIndex) throws -> FlowWrite {
        let key = Self.flowKey(record, from: record.client, record.clientPort, to: record.vip, record.vipPort)
        guard let service = index.service(vip: record.vip, port: record.servicePort, proto: record.proto, family: record.family),
              let realID = index.realID(service: service.id, family: record.family, address: record.real,
                                        port: record.realConfiguredPort)
        else { return .unmapped }
        let received = FlowMerge.localTime(now: now, ageMilliseconds: record.ageMilliseconds)
        let isNATMode = service.mode == UInt8(USHER_MODE_NAT) || service.mode == UInt8(USHER_MODE_GATEWAY)

        guard let t = record.translation else {
            guard !isNATMode, service.mode != UInt8(USHER_MODE_L7) else { return .unmapped }
            let local = maps.flows.lookup(key)
            guard FlowMerge.decide(received: received, local: local?.last_seen_ns) == .write else { return .keptLocal }
            let entry = usher_flow(real_id: realID, service_id: service.id, last_seen_ns: received)
            maps.flows.update(key, entry)
            return .written(key: FlowKeyID(key), lastSeen: received, replyLastSeen: 0)
        }
        guard isNATMode, let interface = index.interface(named: t.interface) else { return .unmapped }
        let receivedReply = FlowMerge.localTime(now: now, ageMilliseconds: t.replyAgeMilliseconds)

        let replyKey = Self.flowKey(record, from: record.real, t.realPort, to: t.snatAddress, t.snatPort)

        let localFlow = try maps.natFlows.lookup(key, as: usher_nat_flow.self)
        let held = try maps.natReplies.lookup(replyKey, as: usher_nat_reply.self)
        var local = localFlow?.last_seen_ns
        var holder: UInt64?
        if let held {
            if sameBytes(held.client, key) {
                local = max(local ?? 0, held.last_seen_ns)
            } else {
                let owner = try maps.natFlows.lookup(held.client, as: usher_nat_flow.self)
                holder = max(held.last_seen_ns, owner?.last_seen_ns ?? 0)
            }
        }
        guard FlowMerge.decide(received: max(received, receivedReply), local: local, tupleHolder: holder) == .write else {
            return .keptLocal
        }
        // The tuple's older holder loses it, as when the data plane reclaims a stale tuple.
        if let held, holder != nil { try maps.natFlows.delete(held.client) }

        var reply = zeroed(usher_nat_reply.self)
        reply.client = key
        reply.last_seen_ns = receivedReply
        reply.real_id = realID
        reply.service_id = service.id
        reply.ifindex = interface.index
        setBytes(&reply.client_mac, t.clientMAC)
        setBytes(&reply.local_mac, interface.mac)
        reply.state = t.replyState
        try maps.natReplies.update(replyKey, reply)

        var flow = zeroed(usher_nat_flow.self)
        setBytes(&flow.snat_addr, t.snatAddress)
        flow.last_seen_ns = received
        flow.real_id = realID
        flow.service_id = service.id
        flow.snat_port = t.snatPort.bigEndian
        flow.real_port = t.realPort.bigEndian
        flow.state = t.clientState
        try maps.natFlows.update(key, flow)
        return .written(key: FlowKeyID(key), lastSeen: received, replyLastSeen: receivedReply)
    }

    /// A flow key of the record's protocol and family (ports in host order).
    private static func flowKey(_ record: FlowRecord, from src: [UInt8], _ sport: UInt16, to dst: [UInt8], _ dport: UInt16)
        -> usher_flow_key {
        var key = zeroed(usher_flow_key.self)
        setBytes(&key.src, src)
        setBytes(&key.dst, dst)
        key.sport = sport.bigEndian
        key.dport = dport.bigEndian
        key.proto = record.proto
        key.family = record.family
        return key
    }
}
