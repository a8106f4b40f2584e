extension ConfigDiff {
    /// One setting's old and new value, as written in the config (`mode`, `dsr-l2`, `dsr-ipip`).
    public struct SettingChange: Codable, Hashable, Sendable {
        public var field: String
        public var from: String
        public var to: String

        public init(field: String, from: String, to: String) {
            self.field = field
            self.from = from
            self.to = to
        }
    }

    /// An interface kept but attached differently.
    public struct InterfaceChange: Codable, Hashable, Sendable {
        public var name: String
        public var from: XDPMode
        public var to: XDPMode
    }

    /// A real kept in a service whose weight or next-hop MAC changed.
    public struct RealChange: Codable, Hashable, Sendable {
        public var address: IPAddress
        public var oldWeight: UInt32
        public var newWeight: UInt32
        public var oldMAC: MACAddress?
        public var newMAC: MACAddress?
        /// nat/gateway: the port the real listens on; nil = the port the client connected to.
        public var oldPort: UInt16?
        public var newPort: UInt16?
    }

    /// A service kept (same name) whose settings or reals changed.
    public struct ServiceChange: Codable, Hashable, Sendable {
        public var name: String
        /// vip, port, protocol, mode, snat-pool, maglev-table-size, hash.
        public var settings: [SettingChange] = []
        public var realsAdded: [RealServer] = []
        public var realsRemoved: [RealServer] = []
        public var realsChanged: [RealChange] = []
        /// Changes of the proxy settings of an http/https service; nil when there are none.
        public var l7: L7Change?

        public init(from old: VirtualService, to new: VirtualService) {
            name = new.name
            func port(_ p: UInt16) -> String { p == 0 ? "*" : String(p) }
            func hash(_ sourceOnly: Bool) -> String { sourceOnly ? "source-ip" : "5-tuple" }
            let pairs: [(String, String, String)] = [
                ("vip", old.vip.description, new.vip.description),
                ("port", port(old.port), port(new.port)),
                ("protocol", old.proto.rawValue, new.proto.rawValue),
                ("mode", old.mode.rawValue, new.mode.rawValue),
                ("snat-pool", old.snatPool ?? "(none)", new.snatPool ?? "(none)"),
                ("maglev-table-size", String(old.maglevTableSize), String(new.maglevTableSize)),
                ("hash", hash(old.hashSourceOnly), hash(new.hashSourceOnly)),
            ]
            settings = pairs.filter { $0.1 != $0.2 }.map { SettingChange(field: $0.0, from: $0.1, to: $0.2) }

            let oldReals = Dictionary(old.reals.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
            let newAddresses = Set(new.reals.map(\.address))
            realsRemoved = old.reals.filter { !newAddresses.contains($0.address) }
            for real in new.reals {
                guard let before = oldReals[real.address] else { realsAdded.append(real); continue }
                if before.weight != real.weight || before.mac != real.mac || before.port != real.port {
                    realsChanged.append(RealChange(address: real.address, oldWeight: before.weight, newWeight: real.weight,
                                                   oldMAC: before.mac, newMAC: real.mac, oldPort: before.port, newPort: real.port))
                }
            }
            l7 = L7Change(from: old.l7, to: new.l7)
        }

        public var isEmpty: Bool {
            settings.isEmpty && realsAdded.isEmpty && realsRemoved.isEmpty && realsChanged.isEmpty && l7 == nil
        }

        /// `~ service web: mode dsr-l2 → dsr-ipip`, `+ service web: real …`, `- service web: real …`.
        public var lines: [String] {
            var out = settings.map { "~ service \(name): \($0.field) \($0.from) → \($0.to)" }
            out += realsRemoved.map { "- service \(name): real \($0.address)" }
            out += realsAdded.map { "+ service \(name): \(ConfigDiff.summary($0))" }
            for change in realsChanged {
                if change.oldWeight != change.newWeight {
                    let note = change.newWeight == 0 ? " (draining)" : change.oldWeight == 0 ? " (back in rotation)" : ""
                    out.append("~ service \(name): real \(change.address) weight \(change.oldWeight) → \(change.newWeight)\(note)")
                }
                if change.oldPort != change.newPort {
                    let from = change.oldPort.map(String.init) ?? "(the VIP's)"
                    let to = change.newPort.map(String.init) ?? "(the VIP's)"
                    out.append("~ service \(name): real \(change.address) port \(from) → \(to)")
                }
                if change.oldMAC != change.newMAC {
                    let from = change.oldMAC?.description ?? "(neighbour table)"
                    let to = change.newMAC?.description ?? "(neighbour table)"
                    out.append("~ service \(name): real \(change.address) mac \(from) → \(to)")
                }
            }
            out += l7?.lines(service: name) ?? []
            return out
        }
    }
}
