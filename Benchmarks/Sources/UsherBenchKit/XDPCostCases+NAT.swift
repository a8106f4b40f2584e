import Foundation
import UsherBPF
import UsherCore

/// Part 1's NAT paths: a nat and a gateway service per IP family, each with reals of its own
/// (port 8080 at the real for nat, the VIP's port for gateway), and one SNAT pool per family.
extension XDPCostCases {
    static let nat4 = ServiceKey(vip: IPAddress("203.0.113.14")!, port: 80, proto: .tcp)
    static let gateway4 = ServiceKey(vip: IPAddress("203.0.113.15")!, port: 80, proto: .tcp)
    static let nat6 = ServiceKey(vip: IPAddress("2001:db8:100::14")!, port: 80, proto: .tcp)
    static let gateway6 = ServiceKey(vip: IPAddress("2001:db8:100::15")!, port: 80, proto: .tcp)
    static let natRealPort: UInt16 = 8080

    /// 16 addresses (the most a pool holds) of the whole default port range: the nat first-packet
    /// case reserves a port for every iteration, and a CPU only takes its own share of each
    /// address's ports (1024-65535 on 2 CPUs: 32,256 per address), so the pool must hold every
    /// flow of every round with the 32 probes of a new flow still finding a free port at once.
    static let snatPools = [
        SNATPool(name: "snat-v4", addresses: (0..<16).map { IPAddress("198.51.100.\(200 + $0)")! }),
        SNATPool(name: "snat-v6", addresses: (0..<16).map { IPAddress("2001:db8:2::5:\(String($0, radix: 16))")! }),
    ]

    static var natServices: [VirtualService] {
        func reals(_ base: String, _ first: Int, mac: Int, port: UInt16?) -> [RealServer] {
            (0..<3).map { RealServer(address: IPAddress("\(base)\(first + $0)")!, mac: Self.mac(mac + $0), port: port) }
        }
        func service(_ name: String, _ key: ServiceKey, _ mode: ForwardingMode, _ reals: [RealServer], pool: String? = nil) -> VirtualService {
            VirtualService(name: name, vip: key.vip, port: key.port, proto: key.proto, mode: mode, reals: reals, snatPool: pool)
        }
        return [
            service("nat-v4", nat4, .nat, reals("198.51.100.", 21, mac: 0x21, port: natRealPort), pool: "snat-v4"),
            service("gateway-v4", gateway4, .gateway, reals("198.51.100.", 31, mac: 0x31, port: nil)),
            service("nat-v6", nat6, .nat, reals("2001:db8:2::", 21, mac: 0x21, port: natRealPort), pool: "snat-v6"),
            service("gateway-v6", gateway6, .gateway, reals("2001:db8:2::", 31, mac: 0x31, port: nil)),
        ]
    }

    /// New nat flows one round may start: a quarter of the ports one CPU may hand out of the
    /// smallest pool, over all rounds (the measuring thread may stay on one CPU), so that the
    /// linear probing of a new flow stays short and no packet is dropped as exhausted.
    static func natFlowsPerRound(rounds: Int, cpus: Int) -> UInt32 {
        let share = snatPools.map { $0.addresses.count * ($0.ports.count / max(cpus, 1)) }.min() ?? 0
        return UInt32(share / 4 / max(rounds, 1))
    }

    /// The CPUs the kernel may ever run (/sys/devices/system/cpu/possible, e.g. "0-1"): the data
    /// plane splits every SNAT port range between that many (usher_global.nr_cpus).
    static func possibleCPUs() -> Int {
        guard let text = try? String(contentsOfFile: "/sys/devices/system/cpu/possible", encoding: .utf8) else {
            return max(ProcessInfo.processInfo.activeProcessorCount, 1)
        }
        let count = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").reduce(0) { sum, part in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            return sum + (bounds.count == 2 ? bounds[1] - bounds[0] + 1 : bounds.count)
        }
        return max(count, 1)
    }

    /// The first packet of a nat flow (a SNAT port reserved) or of a gateway flow (the client's
    /// own port taken), both entries made, in the data plane's tables or in private ones in
    /// `table`'s state.
    static func natFirstPacket(_ mode: String, family: Int, table: XDPCostCase.Table? = nil) -> XDPCostCase {
        let v = "IPv\(family)"
        let key = mode == "nat" ? (family == 4 ? nat4 : nat6) : (family == 4 ? gateway4 : gateway6)
        let what = mode == "nat" ? "SNAT port reserved" : "client's port taken"
        let aged = table?.state == .aged
        return XDPCostCase(id: "first-\(mode)-v\(family)\(aged ? "-aged" : "")",
                           title: "first packet of a flow, \(mode): \(what)\(aged ? ", aged tables" : "") (\(v))",
                           path: .natFirstPacket, family: family,
                           frame: BenchFrames.tcp(from: family == 4 ? newClients4 : newClients6, 0, to: key.vip, key.port),
                           flow: .newEveryIteration, verdict: .tx, reason: "tx", event: "ct_new", table: table)
    }

    /// For each mode: the first packet of a flow, an established flow (translated towards the
    /// real) and the real's reply (translated back to the client).
    static func natCases(family: Int) -> [XDPCostCase] {
        let v = "IPv\(family)"
        let client = family == 4 ? client4 : client6
        var out: [XDPCostCase] = []
        let nat = family == 4 ? nat4 : nat6
        for (mode, key) in [("nat", nat), ("gateway", family == 4 ? gateway4 : gateway6)] {
            out.append(natFirstPacket(mode, family: family))
            let frame = BenchFrames.tcp(from: client, 40000, to: key.vip, key.port)
            out.append(XDPCostCase(id: "established-\(mode)-v\(family)", title: "established flow, \(mode), to the real (\(v))",
                                   path: .natForward, family: family, frame: frame, setup: .warm,
                                   verdict: .tx, reason: "tx", event: "ct_hit"))
            out.append(XDPCostCase(id: "reply-\(mode)-v\(family)", title: "real's reply of an established flow, \(mode), to the client (\(v))",
                                   path: .natReply, family: family, frame: frame, setup: .replyToForward,
                                   verdict: .tx, reason: "tx", event: "nat_reply", destinationMAC: BenchFrames.routerMAC,
                                   delivers: .init(source: key.vip, sourcePort: key.port, destination: client, destinationPort: 40000)))
        }
        return out
    }
}
