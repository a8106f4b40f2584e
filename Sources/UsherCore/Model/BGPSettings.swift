/// The `bgp:` section: this balancer announces its VIPs over BGP (BIRD 2 beside the daemon) to
/// routers that spread the flows over every balancer by ECMP. A VIP is announced while the
/// daemon runs and one of its services has a real that takes traffic (Docs/DEPLOYMENT.md, the cluster).
public struct BGPSettings: Hashable, Sendable, Codable {
    /// BGP's shortest hold time (RFC 4271): BFD, not the hold time, makes a death noticed fast.
    public static let holdTimes: ClosedRange<UInt16> = 3...65535
    public static let defaultHoldTime: UInt16 = 3
    /// BFD's transmit and receive interval; three missed packets take a session down.
    public static let bfdIntervals: ClosedRange<UInt32> = 10...1000
    public static let defaultBFDIntervalMilliseconds: UInt32 = 100
    public static let localASes: ClosedRange<UInt32> = 1...4_294_967_294

    public var localAS: UInt32
    /// BGP identifier: an IPv4 address of this balancer, unique among the routers it peers with.
    public var routerID: IPAddress
    public var neighbors: [BGPNeighbor]
    public var holdTime: UInt16
    /// BFD on every session: a dead balancer's routes are withdrawn within 3 BFD intervals.
    public var bfd: Bool
    public var bfdIntervalMilliseconds: UInt32
    /// The VIPs to announce; nil: every service's VIP (each as a /32 or /128).
    public var announce: [IPAddress]?
    /// The next hop given with the routes; nil: this balancer's address on each session.
    public var nextHop: IPAddress?

    public init(localAS: UInt32, routerID: IPAddress, neighbors: [BGPNeighbor], holdTime: UInt16 = BGPSettings.defaultHoldTime,
                bfd: Bool = true, bfdIntervalMilliseconds: UInt32 = BGPSettings.defaultBFDIntervalMilliseconds,
                announce: [IPAddress]? = nil, nextHop: IPAddress? = nil) {
        self.localAS = localAS
        self.routerID = routerID
        self.neighbors = neighbors
        self.holdTime = holdTime
        self.bfd = bfd
        self.bfdIntervalMilliseconds = bfdIntervalMilliseconds
        self.announce = announce
        self.nextHop = nextHop
    }

    /// The VIPs this config may announce: `announce:`, or every service's VIP once, in order.
    public func candidateVIPs(of services: [VirtualService]) -> [IPAddress] {
        if let announce { return announce }
        var seen = Set<IPAddress>()
        return services.map(\.vip).filter { seen.insert($0).inserted }
    }
}
