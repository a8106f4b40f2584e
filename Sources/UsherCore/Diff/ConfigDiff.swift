/// What changes when `new` replaces `old`: what `usher apply` prints before it writes the maps,
/// and what `--json` reports. Services are matched by name, reals by address, interfaces by name.
public struct ConfigDiff: Codable, Hashable, Sendable {
    public var servicesAdded: [VirtualService] = []
    public var servicesRemoved: [VirtualService] = []
    public var servicesChanged: [ServiceChange] = []
    public var interfacesAdded: [InterfaceConfig] = []
    public var interfacesRemoved: [InterfaceConfig] = []
    public var interfacesChanged: [InterfaceChange] = []
    /// `source-v4` / `source-v6` changes.
    public var encapsulationChanges: [SettingChange] = []
    public var snatPoolsAdded: [SNATPool] = []
    public var snatPoolsRemoved: [SNATPool] = []
    public var snatPoolsChanged: [SNATPoolChange] = []
    /// `tcp-idle-timeout`, `tcp-closed-timeout`, `udp-idle-timeout` changes.
    public var natChanges: [SettingChange] = []
    /// `ha:` changes (see `haChanges`).
    public var haChanges: [SettingChange] = []

    /// The changes from `old` (nil before the first apply: everything is added) to `new`.
    public init(from old: BalancerConfig?, to new: BalancerConfig) {
        let old = old ?? BalancerConfig()

        let newInterfaces = Dictionary(new.interfaces.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let oldInterfaces = Dictionary(old.interfaces.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        interfacesRemoved = old.interfaces.filter { newInterfaces[$0.name] == nil }
        for interface in new.interfaces {
            guard let before = oldInterfaces[interface.name] else { interfacesAdded.append(interface); continue }
            if before.xdpMode != interface.xdpMode {
                interfacesChanged.append(InterfaceChange(name: interface.name, from: before.xdpMode, to: interface.xdpMode))
            }
        }

        for (field, before, after) in [("source-v4", old.encapsulation.sourceV4, new.encapsulation.sourceV4),
                                       ("source-v6", old.encapsulation.sourceV6, new.encapsulation.sourceV6)] where before != after {
            encapsulationChanges.append(SettingChange(field: field, from: before.map(\.description) ?? "(none)",
                                                      to: after.map(\.description) ?? "(none)"))
        }

        (snatPoolsAdded, snatPoolsRemoved, snatPoolsChanged) = Self.poolChanges(from: old.snatPools, to: new.snatPools)
        natChanges = Self.natChanges(from: old.nat, to: new.nat)
        haChanges = Self.haChanges(from: old.ha, to: new.ha)

        let newNames = Set(new.services.map(\.name))
        let oldServices = Dictionary(old.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        servicesRemoved = old.services.filter { !newNames.contains($0.name) }
        for service in new.services {
            guard let before = oldServices[service.name] else { servicesAdded.append(service); continue }
            let change = ServiceChange(from: before, to: service)
            if !change.isEmpty { servicesChanged.append(change) }
        }
    }

    /// True when applying would change nothing.
    public var isEmpty: Bool {
        servicesAdded.isEmpty && servicesRemoved.isEmpty && servicesChanged.isEmpty && interfacesAdded.isEmpty
            && interfacesRemoved.isEmpty && interfacesChanged.isEmpty && encapsulationChanges.isEmpty
            && snatPoolsAdded.isEmpty && snatPoolsRemoved.isEmpty && snatPoolsChanged.isEmpty && natChanges.isEmpty
            && haChanges.isEmpty
    }

    /// One line per change for people: `+` added, `-` removed, `~` changed, e.g.
    /// `+ service web 203.0.113.10:80/tcp dsr-l2`,
    /// `~ service web: real 198.51.100.12 weight 1 → 0 (draining)`.
    public var lines: [String] {
        var out: [String] = []
        out += interfacesRemoved.map { "- interface \($0.name)" }
        out += interfacesAdded.map { "+ interface \($0.name) xdp-mode \($0.xdpMode.rawValue)" }
        out += interfacesChanged.map { "~ interface \($0.name): xdp-mode \($0.from.rawValue) → \($0.to.rawValue)" }
        out += encapsulationChanges.map { "~ encapsulation: \($0.field) \($0.from) → \($0.to)" }
        out += natChanges.map { "~ nat: \($0.field) \($0.from) → \($0.to)" }
        out += haChanges.map(Self.haLine)
        // Pools come before the services that use them and leave after those that did.
        out += snatPoolsAdded.map { "+ snat-pool \(Self.summary($0))" }
        out += snatPoolsChanged.flatMap(\.lines)
        out += servicesRemoved.map { "- service \(Self.summary($0))" }
        for service in servicesAdded {
            out.append("+ service \(Self.summary(service))")
            out += service.reals.map { "+ service \(service.name): \(Self.summary($0))" }
            out += Self.l7Lines(service)
        }
        for change in servicesChanged { out += change.lines }
        out += snatPoolsRemoved.map { "- snat-pool \($0.name)" }
        return out
    }

    /// `web 203.0.113.10:80/tcp dsr-l2`, with the hash and table size when not the defaults.
    static func summary(_ service: VirtualService) -> String {
        var s = "\(service.name) \(service.key) \(service.mode.rawValue)"
        if let pool = service.snatPool { s += " snat-pool \(pool)" }
        if service.hashSourceOnly { s += " hash source-ip" }
        if service.maglevTableSize != VirtualService.defaultMaglevTableSize { s += " maglev-table-size \(service.maglevTableSize)" }
        return s
    }

    /// `real 198.51.100.11 weight 1 mac 02:00:00:00:00:11`, `real 198.51.100.11 port 8080
    /// weight 1`, `(draining)` at weight 0.
    static func summary(_ real: RealServer) -> String {
        var s = "real \(real.address)"
        if let port = real.port { s += " port \(port)" }
        s += " weight \(real.weight)"
        if let mac = real.mac { s += " mac \(mac)" }
        if real.isDraining { s += " (draining)" }
        return s
    }
}
