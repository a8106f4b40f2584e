import UsherCore

/// What the data plane should hold and do for a config, worked out with UsherCore (the same
/// Maglev and flow hash the control plane and the XDP program use), to compare with what the
/// CLI reads back.
enum Expected {
    /// Maglev slots per real address of a service (reals with no slot are left out).
    static func shares(_ service: VirtualService) -> [String: Int] {
        var out: [String: Int] = [:]
        for owner in service.maglevTable where owner >= 0 {
            out[service.reals[Int(owner)].address.description, default: 0] += 1
        }
        return out
    }

    /// The real a TCP/UDP flow to `service` is balanced to when it is new.
    static func real(for service: VirtualService, src: IPAddress, sport: UInt16, dport: UInt16) -> RealServer? {
        let hash = FlowHash.hash(src: src, dst: service.vip, sport: sport, dport: dport,
                                 proto: service.proto.number, sourceOnly: service.hashSourceOnly)
        let table = service.maglevTable
        let slot = FlowHash.maglevSlot(hash: hash, tableSize: table.count)
        guard slot > 0, table[slot - 1] >= 0 else { return nil }
        return service.reals[Int(table[slot - 1])]
    }

    /// A service as `usher service add` plus `usher real add …` build it.
    static func service(_ name: String, vip: String, port: UInt16, mode: ForwardingMode = .dsrL2, tableSize: UInt32,
                        reals: [(String, UInt32, String)]) -> VirtualService {
        VirtualService(name: name, vip: IPAddress(vip)!, port: port, proto: .tcp, mode: mode, maglevTableSize: tableSize,
                       hashSourceOnly: false,
                       reals: reals.map { RealServer(address: IPAddress($0.0)!, weight: $0.1, mac: MACAddress($0.2)!) })
    }
}
