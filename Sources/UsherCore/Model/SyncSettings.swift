/// The `sync:` section: where this balancer's daemon exchanges flow state (tracked flows, NAT
/// translations and the SNAT ports they hold) with its peers, so that a connection survives
/// when another balancer takes over its VIP. Every balancer listens on `address:port` and
/// sends to each peer at the same port.
public struct SyncSettings: Hashable, Sendable, Codable {
    /// The UDP port used when `port:` is not given.
    public static let defaultPort: UInt16 = 7947
    /// Rounds (deltas of the flow tables) per second: one every `intervalMilliseconds`.
    public static let defaultIntervalMilliseconds: UInt32 = 250
    public static let intervals: ClosedRange<UInt32> = 50...5000

    /// The local address to listen on and send from; nil: the one of `peers` that is an
    /// address of this host (so every balancer of a pair or cluster can share one file).
    public var address: IPAddress?
    public var port: UInt16
    /// The other balancers' sync addresses.
    public var peers: [IPAddress]
    /// A file (root-owned, mode 0600) holding the shared secret of the HMAC-SHA256 that signs
    /// every message; without one the daemons trust the segment, as IPVS's sync daemon does.
    public var keyFile: String?
    public var intervalMilliseconds: UInt32

    public init(address: IPAddress?, port: UInt16 = SyncSettings.defaultPort, peers: [IPAddress], keyFile: String? = nil,
                intervalMilliseconds: UInt32 = SyncSettings.defaultIntervalMilliseconds) {
        self.address = address
        self.port = port
        self.peers = peers
        self.keyFile = keyFile
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// With `address` given: as is. Without: the peer that is one of `local` (this host's
    /// addresses) becomes `address`, the others stay peers; nil when none or several are local.
    public func resolved(local: Set<IPAddress>) -> SyncSettings? {
        if address != nil { return self }
        let mine = peers.filter { local.contains($0) }
        guard mine.count == 1 else { return nil }
        var resolved = self
        resolved.address = mine[0]
        resolved.peers = peers.filter { $0 != mine[0] }
        return resolved
    }
}
