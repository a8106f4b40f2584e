/// The `ha:` section: this balancer is one of an active/passive pair sharing the services' VIPs
/// over VRRP (keepalived, run by `usher daemon`). The active one holds every VIP (and each
/// address of `addresses`) on `interface`; the other takes them over when it hears no
/// advertisement for three intervals. Both run the same services, hence the same Maglev tables.
public struct HASettings: Hashable, Sendable, Codable {
    /// Equal priorities on both: with no preemption the first to start stays active.
    public static let defaultPriority = 100
    /// 100 ms between advertisements: the backup takes over after about 3.5 of them (< 0.4 s).
    public static let defaultAdvertInterval = 0.1

    /// The interface that carries the advertisements and the VIPs (the segment of the router).
    public var interface: String
    /// VRRP's virtual router id (1-255): the same on both balancers, unique on the segment.
    public var virtualRouterID: Int
    /// 1-254; the higher one wins an election (equal: the higher address).
    public var priority: Int
    /// The pair's addresses, where advertisements go (unicast VRRP); a balancer's own address
    /// may be listed too (it is left out when keepalived's config is rendered), so both
    /// balancers can run one file.
    public var peers: [IPAddress]
    /// Seconds between advertisements (VRRPv3: 0.01 to 40.95 in steps of 0.01).
    public var advertInterval: Double
    /// Whether a balancer of higher priority takes the VIPs back when it returns. Off by
    /// default: a takeover is a gap, and the returning balancer has no flow state yet.
    public var preempt: Bool
    /// Addresses besides the VIPs that follow the active balancer, with their prefix length:
    /// the real servers' gateway for `gateway` services (e.g. 198.51.100.6/25). The SNAT pools'
    /// addresses follow it without being listed here.
    public var addresses: [IPPrefix]

    public init(
        interface: String, virtualRouterID: Int, priority: Int = HASettings.defaultPriority, peers: [IPAddress],
        advertInterval: Double = HASettings.defaultAdvertInterval, preempt: Bool = false, addresses: [IPPrefix] = []
    ) {
        self.interface = interface
        self.virtualRouterID = virtualRouterID
        self.priority = priority
        self.peers = peers
        self.advertInterval = advertInterval
        self.preempt = preempt
        self.addresses = addresses
    }
}
