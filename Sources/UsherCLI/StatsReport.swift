import Foundation
import UsherBPF
import UsherCore

/// The counters of one `usher stats` reading, named after the configured services and reals.
/// Its JSON form is what scripts read (`usher stats --json`).
struct StatsReport: Encodable {
    struct Service: Encodable {
        let name: String
        let service: String
        let mode: String
        let packets: UInt64
        let bytes: UInt64
        let newFlows: UInt64
        let noReal: UInt64
        /// nat/gateway: new flows dropped for want of a free SNAT port (or reply tuple).
        let natExhausted: UInt64
        /// nat/gateway: replies translated back to the clients.
        let replyPackets: UInt64
        let replyBytes: UInt64

        enum CodingKeys: String, CodingKey {
            case name, service, mode, packets, bytes
            case newFlows = "new_flows", noReal = "no_real"
            case natExhausted = "nat_exhausted", replyPackets = "reply_packets", replyBytes = "reply_bytes"
        }
    }

    /// One real server as a member of one service (the data plane counts them apart).
    struct Real: Encodable {
        let address: String
        /// The service these counters belong to.
        let service: String
        /// Every service that lists the address.
        let services: [String]
        let packets: UInt64
        let bytes: UInt64
        let newFlows: UInt64

        enum CodingKeys: String, CodingKey {
            case address, service, services, packets, bytes
            case newFlows = "new_flows"
        }
    }

    let global: [String: CounterValue]
    let services: [Service]
    let reals: [Real]

    init(snapshot: StatsSnapshot, config: BalancerConfig, state: DataplaneState?) {
        global = snapshot.global
        let serviceIDs = state?.serviceIDs ?? [:]
        let realIDs = state?.realIDs ?? [:]
        services = config.services.map { s in
            let counted = serviceIDs[s.key].flatMap { snapshot.services[$0] } ?? ServiceStats()
            return Service(name: s.name, service: s.key.description, mode: s.mode.rawValue,
                           packets: counted.packets, bytes: counted.bytes,
                           newFlows: counted.newFlows, noReal: counted.noReal, natExhausted: counted.natExhausted,
                           replyPackets: counted.replyPackets, replyBytes: counted.replyBytes)
        }
        var usedBy: [IPAddress: [VirtualService]] = [:]
        for s in config.services {
            for r in s.reals where !(usedBy[r.address]?.contains { $0.key == s.key } ?? false) {
                usedBy[r.address, default: []].append(s)
            }
        }
        reals = usedBy.keys.sorted().flatMap { address in
            let services = usedBy[address] ?? []
            return services.map { s in
                let counted = realIDs[s.key]?[address].flatMap { snapshot.reals[$0] } ?? RealStats()
                return Real(address: address.description, service: s.name, services: services.map(\.name),
                            packets: counted.packets, bytes: counted.bytes, newFlows: counted.newFlows)
            }
        }
    }

    /// Human tables; with a previous reading, packet rates per second beside the totals.
    func render(previous: StatsReport?, elapsed: TimeInterval?) -> String {
        func rate(_ now: UInt64, _ before: UInt64?) -> String {
            guard let before, let elapsed, elapsed > 0, now >= before else { return "" }
            return humanCount(UInt64(Double(now - before) / elapsed)) + "/s"
        }
        var out: [String] = []
        var verdicts = TextTable(["REASON", "PACKETS", "BYTES", "RATE"], numeric: [1, 2, 3])
        for name in StatsSnapshot.counterNames {
            let value = global[name] ?? CounterValue()
            if value.packets == 0, previous == nil { continue }
            verdicts.add([name, humanCount(value.packets), humanBytes(value.bytes),
                          rate(value.packets, previous?.global[name]?.packets)])
        }
        out.append(verdicts.rows.isEmpty ? "No packets seen yet." : verdicts.render())

        if !services.isEmpty {
            var table = TextTable(["SERVICE", "VIP", "MODE", "PACKETS", "BYTES", "NEW FLOWS", "NO REAL", "RATE"],
                                  numeric: [3, 4, 5, 6, 7])
            for s in services {
                let before = previous?.services.first { $0.name == s.name }
                table.add([s.name, s.service, s.mode, humanCount(s.packets), humanBytes(s.bytes),
                           humanCount(s.newFlows), humanCount(s.noReal), rate(s.packets, before?.packets)])
            }
            out.append(table.render())
        }
        // The reply side and SNAT exhaustion of the services that translate addresses.
        let translating = services.filter { ForwardingMode(rawValue: $0.mode)?.isNAT == true }
        if !translating.isEmpty {
            var table = TextTable(["SERVICE", "MODE", "REPLIES", "REPLY BYTES", "NAT EXHAUSTED", "RATE"], numeric: [2, 3, 4, 5])
            for s in translating {
                let before = previous?.services.first { $0.name == s.name }
                table.add([s.name, s.mode, humanCount(s.replyPackets), humanBytes(s.replyBytes), humanCount(s.natExhausted),
                           rate(s.replyPackets, before?.replyPackets)])
            }
            out.append(table.render())
        }
        if !reals.isEmpty {
            var table = TextTable(["REAL", "SERVICE", "PACKETS", "BYTES", "NEW FLOWS", "RATE"], numeric: [2, 3, 4, 5])
            for r in reals {
                let before = previous?.reals.first { $0.address == r.address && $0.service == r.service }
                table.add([r.address, r.service, humanCount(r.packets), humanBytes(r.bytes),
                           humanCount(r.newFlows), rate(r.packets, before?.packets)])
            }
            out.append(table.render())
        }
        return out.joined(separator: "\n\n")
    }
}
