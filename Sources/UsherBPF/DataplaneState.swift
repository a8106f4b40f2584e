import UsherCore

/// What `Dataplane.apply` wrote, kept by the caller beside the config and handed back to the
/// next `apply`: the ids given to services and to each (service, real) membership (stable
/// across applies), the resolved next hops, and the inputs of every Maglev table, so an
/// unchanged table is not rebuilt.
/// The maps remain the truth: ids are always re-read from them, and a table is only skipped
/// when the map it names is still the one in use.
public struct DataplaneState: Hashable, Codable, Sendable {
    /// One virtual service as written to usher_vips_v2 and usher_maglev_v2.
    public struct Service: Hashable, Codable, Sendable {
        public var name: String
        public var key: ServiceKey
        public var id: UInt32
        public var mode: ForwardingMode
        public var hashSourceOnly: Bool
        /// Maglev table size M (0 for modes the XDP program does not balance).
        public var tableSize: UInt32
        /// The reals in the table (weight above zero), ordered by address.
        public var backends: [Backend]
        /// Kernel id of the inner map in use, nil when the service has none.
        public var tableMapID: UInt32?
    }

    /// A real server as one entry of a service's Maglev table.
    public struct Backend: Hashable, Codable, Sendable {
        public var address: IPAddress
        public var realID: UInt32
        public var weight: UInt32
    }

    /// A real server as a member of one service, as written to usher_reals_v3: a real listed by
    /// two services has two entries (two ids, two sets of counters), with the same next hop.
    public struct Real: Hashable, Codable, Sendable {
        /// The service this entry belongs to, by key and by id.
        public var service: ServiceKey
        public var serviceID: UInt32
        public var address: IPAddress
        /// The real id of this (service, real) membership.
        public var id: UInt32
        /// The destination MAC written (the config's `mac:`, or the next hop's).
        public var mac: MACAddress
        /// The resolved next hop; nil when the config gave the MAC (sent back out with XDP_TX).
        public var nextHop: NextHop?
    }

    /// A SNAT pool as written to usher_snat_v1: its name and the id its services refer to.
    public struct SNATPool: Hashable, Codable, Sendable {
        public var name: String
        public var id: UInt32
    }

    public var services: [Service]
    public var reals: [Real]
    /// The pools used by nat services (a state saved before NAT existed has none).
    public var snatPools: [SNATPool] = []
    /// What the apply that produced this state wants the operator to know (not saved).
    public var warnings: [String] = []

    public init(services: [Service] = [], reals: [Real] = []) {
        self.services = services
        self.reals = reals
    }

    enum CodingKeys: String, CodingKey {
        case services, reals, snatPools
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        services = try container.decode([Service].self, forKey: .services)
        reals = try container.decode([Real].self, forKey: .reals)
        snatPools = try container.decodeIfPresent([SNATPool].self, forKey: .snatPools) ?? []
    }

    /// Service id by service key.
    public var serviceIDs: [ServiceKey: UInt32] {
        Dictionary(services.map { ($0.key, $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every real id by service and address: one pass, for readers that name every real (a
    /// lookup per real with `realID` would be quadratic in the reals).
    public var realIDs: [ServiceKey: [IPAddress: UInt32]] {
        var out: [ServiceKey: [IPAddress: UInt32]] = [:]
        for real in reals where out[real.service]?[real.address] == nil { out[real.service, default: [:]][real.address] = real.id }
        return out
    }

    /// The real id of `address` as a member of the service `service`, if it is one.
    public func realID(service: ServiceKey, address: IPAddress) -> UInt32? {
        reals.first { $0.service == service && $0.address == address }?.id
    }

    /// The service with this id, if any.
    public func service(id: UInt32) -> Service? { services.first { $0.id == id } }

    /// The real with this id, if any.
    public func real(id: UInt32) -> Real? { reals.first { $0.id == id } }
}
