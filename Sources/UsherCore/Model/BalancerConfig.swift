/// Everything the balancer is told to do: the desired state that `apply` compiles into maps.
/// A value of this type has passed validation (see `ConfigLoader`); it is also what the CLI
/// keeps as the last applied state.
public struct BalancerConfig: Hashable, Sendable, Codable {
    public var interfaces: [InterfaceConfig]
    public var encapsulation: Encapsulation
    public var services: [VirtualService]
    /// Source address pools of `nat` services, by name.
    public var snatPools: [SNATPool]
    /// Timeouts of `nat`/`gateway` flows.
    public var nat: NATSettings
    /// Where the daemon serves its API, /metrics and status page.
    public var api: APISettings
    /// Flow-state sync with other balancers; nil when this balancer runs alone.
    public var sync: SyncSettings?
    /// The VIPs announced over BGP to ECMP routers; nil when no router hears of them.
    public var bgp: BGPSettings?
    /// Where the daemon logs (stderr, syslog); nothing to do with the tables.
    public var logging: LoggingSettings
    /// Who hears of state changes, and how often; nothing to do with the tables.
    public var alerts: AlertSettings
    /// The active/passive pair this balancer is one of (`ha:`); nil for a balancer alone.
    public var ha: HASettings?

    public init(
        interfaces: [InterfaceConfig] = [], encapsulation: Encapsulation = .init(), services: [VirtualService] = [],
        snatPools: [SNATPool] = [], nat: NATSettings = .init(), api: APISettings = .init(), sync: SyncSettings? = nil,
        bgp: BGPSettings? = nil, logging: LoggingSettings = .init(), alerts: AlertSettings = .init(), ha: HASettings? = nil
    ) {
        self.api = api
        self.interfaces = interfaces
        self.encapsulation = encapsulation
        self.services = services
        self.snatPools = snatPools
        self.nat = nat
        self.sync = sync
        self.bgp = bgp
        self.logging = logging
        self.alerts = alerts
        self.ha = ha
    }

    /// The service with this name, if any.
    public func service(named name: String) -> VirtualService? {
        services.first { $0.name == name }
    }

    /// The SNAT pool with this name, if any.
    public func snatPool(named name: String) -> SNATPool? {
        snatPools.first { $0.name == name }
    }

    private enum CodingKeys: String, CodingKey {
        case interfaces, encapsulation, services, snatPools, nat, api, sync, bgp, logging, alerts, ha
    }

    /// Decodes a saved state; one written before NAT existed has no pools and default timeouts,
    /// one written before logging and alerts existed has the defaults.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        interfaces = try container.decode([InterfaceConfig].self, forKey: .interfaces)
        encapsulation = try container.decode(Encapsulation.self, forKey: .encapsulation)
        services = try container.decode([VirtualService].self, forKey: .services)
        snatPools = try container.decodeIfPresent([SNATPool].self, forKey: .snatPools) ?? []
        nat = try container.decodeIfPresent(NATSettings.self, forKey: .nat) ?? NATSettings()
        api = try container.decodeIfPresent(APISettings.self, forKey: .api) ?? APISettings()
        sync = try container.decodeIfPresent(SyncSettings.self, forKey: .sync)
        bgp = try container.decodeIfPresent(BGPSettings.self, forKey: .bgp)
        logging = try container.decodeIfPresent(LoggingSettings.self, forKey: .logging) ?? LoggingSettings()
        alerts = try container.decodeIfPresent(AlertSettings.self, forKey: .alerts) ?? AlertSettings()
        ha = try container.decodeIfPresent(HASettings.self, forKey: .ha)
    }
}

/// An interface the XDP program is attached to.
public struct InterfaceConfig: Hashable, Sendable, Codable {
    public var name: String
    public var xdpMode: XDPMode

    public init(name: String, xdpMode: XDPMode = .native) {
        self.name = name
        self.xdpMode = xdpMode
    }
}

/// How the XDP program is attached: in the driver, or in the generic (skb) path.
public enum XDPMode: String, Hashable, Sendable, Codable, CaseIterable {
    case native
    case generic
}

/// Outer source addresses for IP-in-IP. The host bits of each prefix are filled from the flow
/// hash so that receive-side scaling on the real servers spreads flows over queues.
public struct Encapsulation: Hashable, Sendable, Codable {
    public var sourceV4: IPPrefix?
    public var sourceV6: IPPrefix?

    public init(sourceV4: IPPrefix? = nil, sourceV6: IPPrefix? = nil) {
        self.sourceV4 = sourceV4
        self.sourceV6 = sourceV6
    }
}
