extension ConfigDiff {
    /// An SNAT pool kept (same name) whose addresses or ports changed.
    public struct SNATPoolChange: Codable, Hashable, Sendable {
        public var name: String
        public var oldAddresses: [IPAddress]
        public var newAddresses: [IPAddress]
        public var oldPorts: PortRange
        public var newPorts: PortRange

        /// `~ snat-pool lb-snat: addresses 198.51.100.3 → 198.51.100.3, 198.51.100.4`,
        /// `~ snat-pool lb-snat: ports 1024-65535 → 20000-29999`.
        public var lines: [String] {
            var out: [String] = []
            if oldAddresses != newAddresses {
                out.append("~ snat-pool \(name): addresses \(ConfigDiff.list(oldAddresses)) → \(ConfigDiff.list(newAddresses))")
            }
            if oldPorts != newPorts { out.append("~ snat-pool \(name): ports \(oldPorts) → \(newPorts)") }
            return out
        }
    }

    /// Pools matched by name: added, removed, and kept with other addresses or ports.
    static func poolChanges(from old: [SNATPool], to new: [SNATPool]) -> ([SNATPool], [SNATPool], [SNATPoolChange]) {
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = Set(new.map(\.name))
        var added: [SNATPool] = [], changed: [SNATPoolChange] = []
        for pool in new {
            guard let was = before[pool.name] else { added.append(pool); continue }
            if was.addresses != pool.addresses || was.ports != pool.ports {
                changed.append(SNATPoolChange(name: pool.name, oldAddresses: was.addresses, newAddresses: pool.addresses,
                                              oldPorts: was.ports, newPorts: pool.ports))
            }
        }
        return (added, old.filter { !names.contains($0.name) }, changed)
    }

    static func natChanges(from old: NATSettings, to new: NATSettings) -> [SettingChange] {
        let pairs: [(String, UInt32, UInt32)] = [
            ("tcp-idle-timeout", old.tcpIdleSeconds, new.tcpIdleSeconds),
            ("tcp-closed-timeout", old.tcpClosedSeconds, new.tcpClosedSeconds),
            ("udp-idle-timeout", old.udpIdleSeconds, new.udpIdleSeconds),
        ]
        return pairs.filter { $0.1 != $0.2 }.map { SettingChange(field: $0.0, from: "\($0.1)s", to: "\($0.2)s") }
    }

    /// `lb-snat 198.51.100.3, 198.51.100.4 ports 1024-65535`.
    static func summary(_ pool: SNATPool) -> String {
        "\(pool.name) \(list(pool.addresses)) ports \(pool.ports)"
    }

    static func list(_ addresses: [IPAddress]) -> String {
        addresses.isEmpty ? "(none)" : addresses.map(\.description).joined(separator: ", ")
    }
}
