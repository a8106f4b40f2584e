import UsherBPF
import UsherCore

/// The services and paths of part 1 (the NAT ones in XDPCostCases+NAT.swift). To measure a new
/// path, add its service to `config` and its cases to `cases`: the runner, the checks and the
/// report take any case.
public enum XDPCostCases {
    static let client4 = IPAddress("192.0.2.7")!, client6 = IPAddress("2001:db8:1::7")!
    static let newClients4 = IPAddress("198.51.100.0")!, newClients6 = IPAddress("2001:db8:1::1:0")!
    static let reals4 = (11...13).map { IPAddress("198.51.100.\($0)")! }
    static let reals6 = (11...13).map { IPAddress("2001:db8:2::\($0)")! }
    static func mac(_ n: Int) -> MACAddress { MACAddress("02:00:00:00:01:\(String(n, radix: 16))")! }

    static let l2v4 = ServiceKey(vip: IPAddress("203.0.113.10")!, port: 80, proto: .tcp)
    static let ipipv4 = ServiceKey(vip: IPAddress("203.0.113.11")!, port: 80, proto: .tcp)
    static let drain = ServiceKey(vip: IPAddress("203.0.113.12")!, port: 80, proto: .tcp)
    static let empty = ServiceKey(vip: IPAddress("203.0.113.13")!, port: 80, proto: .tcp)
    static let l7 = ServiceKey(vip: IPAddress("203.0.113.20")!, port: 80, proto: .tcp)
    static let l2v6 = ServiceKey(vip: IPAddress("2001:db8:100::10")!, port: 80, proto: .tcp)
    static let ipipv6 = ServiceKey(vip: IPAddress("2001:db8:100::11")!, port: 80, proto: .tcp)

    /// Three reals per balanced service (each with its MAC, as a config gives them), default
    /// Maglev size; one service with a drained real, one without any real, one L7 service; a nat
    /// and a gateway service per IP family, and their SNAT pools.
    public static var config: BalancerConfig {
        func reals(_ addresses: [IPAddress], weights: [UInt32] = [1, 1, 1]) -> [RealServer] {
            addresses.enumerated().map { RealServer(address: $1, weight: weights[$0], mac: mac(0x11 + $0)) }
        }
        func service(_ name: String, _ key: ServiceKey, _ mode: ForwardingMode, _ reals: [RealServer]) -> VirtualService {
            VirtualService(name: name, vip: key.vip, port: key.port, proto: key.proto, mode: mode, reals: reals)
        }
        let dsr = [
            service("l2-v4", l2v4, .dsrL2, reals(reals4)),
            service("ipip-v4", ipipv4, .dsrIPIP, reals(reals4)),
            service("drain-v4", drain, .dsrL2, reals(Array(reals4.prefix(2)), weights: [0, 1])),
            service("empty-v4", empty, .dsrL2, []),
            service("l7-v4", l7, .http, []),
            service("l2-v6", l2v6, .dsrL2, reals(reals6)),
            service("ipip-v6", ipipv6, .dsrIPIP, reals(reals6)),
        ]
        return BalancerConfig(
            encapsulation: Encapsulation(sourceV4: IPPrefix("198.51.100.64/26"), sourceV6: IPPrefix("2001:db8:2::1:0/112")),
            services: dsr + natServices, snatPools: snatPools)
    }

    public static var cases: [XDPCostCase] {
        func to(_ key: ServiceKey) -> [UInt8] {
            BenchFrames.tcp(from: key.vip.isV4 ? client4 : client6, 40000, to: key.vip, key.port)
        }
        func fresh(_ key: ServiceKey, flags: UInt8 = 0x10) -> [UInt8] {
            BenchFrames.tcp(from: key.vip.isV4 ? newClients4 : newClients6, 0, to: key.vip, key.port, flags: flags)
        }
        // First packets vary the source port and the address's last byte of clients that no
        // other case uses.
        var out: [XDPCostCase] = []
        for (family, l2, ipip, other) in [(4, l2v4, ipipv4, IPAddress("198.51.100.99")!), (6, l2v6, ipipv6, IPAddress("2001:db8:2::99")!)] {
            let v = "IPv\(family)"
            out.append(XDPCostCase(id: "floor-v\(family)", title: "floor program (\(v))", path: .floor, family: family,
                                   frame: to(l2), target: .floor, verdict: .tx, reason: nil))
            out.append(XDPCostCase(id: "non-vip-v\(family)", title: "non-VIP packet, passed (\(v))", path: .nonVIP, family: family,
                                   frame: BenchFrames.tcp(from: family == 4 ? client4 : client6, 40000, to: other, 80),
                                   verdict: .pass, reason: "pass_not_vip"))
            for (mode, key) in [("dsr-l2", l2), ("dsr-ipip", ipip)] {
                // A SYN is placed by Maglev and makes no entry; the flow's first other packet
                // makes it (conntrack.h): both are a first packet's cost.
                out.append(XDPCostCase(id: "first-syn-\(mode)-v\(family)", title: "first packet of a flow, \(mode): SYN, no entry (\(v))",
                                       path: .firstPacket, family: family, frame: fresh(key, flags: 0x02), flow: .newEveryIteration,
                                       verdict: .tx, reason: "tx", event: "ct_new"))
                out.append(XDPCostCase(id: "first-\(mode)-v\(family)", title: "first non-SYN packet of a flow, \(mode): entry made (\(v))",
                                       path: .firstPacket, family: family, frame: fresh(key), flow: .newEveryIteration,
                                       verdict: .tx, reason: "tx", event: "ct_confirmed"))
                out.append(XDPCostCase(id: "established-\(mode)-v\(family)", title: "established flow, \(mode) (\(v))",
                                       path: .established, family: family, frame: to(key), setup: .warm,
                                       verdict: .tx, reason: "tx", event: "ct_hit"))
            }
            out += natCases(family: family)
        }
        out += tableCases
        out.append(XDPCostCase(id: "drained-v4", title: "established flow on a drained real, dsr-l2 (IPv4)", path: .drained,
                               family: 4, frame: to(drain), setup: .trackOn(service: drain, real: reals4[0]),
                               verdict: .tx, reason: "tx", event: "ct_hit", destinationMAC: mac(0x11)))
        out.append(XDPCostCase(id: "l7-pass-v4", title: "packet of an L7 (http) service, passed to the proxy (IPv4)",
                               path: .l7Pass, family: 4, frame: to(l7), verdict: .pass, reason: "pass_l7"))
        out.append(XDPCostCase(id: "no-real-v4", title: "packet of a service without reals, dropped (IPv4)", path: .noReal,
                               family: 4, frame: to(empty), verdict: .drop, reason: "drop_no_real"))
        return out
    }

    /// Paths not measured yet (none: every forwarding mode is).
    public static let pending: [PendingCase] = []
}
