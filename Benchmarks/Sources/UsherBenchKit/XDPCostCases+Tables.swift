import UsherCore

/// Part 1's flow-table paths: the first packet of a DSR flow in the long-running state of the
/// table (full: issue 10), the 4-way flow-table candidate beside it in one run, fresh and full,
/// first packet and established (IPv4); the first packet of a nat and of a gateway flow with
/// the NAT tables aged.
extension XDPCostCases {
    /// The source of the flows that age a table: a client no measured case uses.
    static let agingClients4 = IPAddress("192.0.2.128")!

    static var tableCases: [XDPCostCase] {
        var out: [XDPCostCase] = []
        for (mode, key) in [("dsr-l2", l2v4), ("dsr-ipip", ipipv4)] {
            let fresh = BenchFrames.tcp(from: newClients4, 0, to: key.vip, key.port)
            let known = BenchFrames.tcp(from: client4, 40000, to: key.vip, key.port)
            out.append(XDPCostCase(id: "first-\(mode)-v4-aged", title: "first non-SYN packet of a flow, \(mode): entry made, full table (IPv4)",
                                   path: .firstPacket, family: 4, frame: fresh, flow: .newEveryIteration,
                                   verdict: .tx, reason: "tx", event: "ct_confirmed",
                                   table: .init(kind: .product, state: .aged)))
            out.append(XDPCostCase(id: "established-\(mode)-v4-aged", title: "established flow, \(mode), full table (IPv4)",
                                   path: .established, family: 4, frame: known, setup: .warm,
                                   verdict: .tx, reason: "tx", event: "ct_hit", table: .init(kind: .product, state: .aged)))
            for kind in [XDPCostCase.Table.Kind.setAssociative] {
                for state in [XDPCostCase.Table.State.fresh, .aged] {
                    let table = XDPCostCase.Table(kind: kind, state: state)
                    let tail = "\(state.rawValue)-\(kind.rawValue)"
                    out.append(XDPCostCase(id: "first-\(mode)-v4-\(tail)", title: "candidate \(kind.rawValue), \(state.rawValue) table: first non-SYN packet (entry made), \(mode) (IPv4)",
                                           path: .firstPacket, family: 4, frame: fresh, flow: .newEveryIteration,
                                           verdict: .tx, reason: "tx", event: "ct_confirmed", table: table, candidate: true))
                    out.append(XDPCostCase(id: "established-\(mode)-v4-\(tail)", title: "candidate \(kind.rawValue), \(state.rawValue) table: established flow, \(mode) (IPv4)",
                                           path: .established, family: 4, frame: known, setup: .warm,
                                           verdict: .tx, reason: "tx", event: "ct_hit", table: table, candidate: true))
                }
            }
        }
        // The NAT tables in the long-running state (private ones, aged; the data plane's stay fresh).
        let agedNAT = XDPCostCase.Table(kind: .product, state: .aged, nat: true)
        out += ["nat", "gateway"].map { natFirstPacket($0, family: 4, table: agedNAT) }
        return out
    }
}
