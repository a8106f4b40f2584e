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

    /// The local address to listen on and send from.
    public var address: IPAddress
    public var port: UInt16
    /// The other balancers' sync addresses.
    public var peers: [IPAddress]
    /// A file (root-owned, mode 0600) holding the shared secret of the HMAC-SHA256 that signs
    /// every message; without one the daemons trust the segment, as IPVS's sync daemon does.
    public var keyFile: String?
    public var intervalMilliseconds: UInt32

    public init(address: IPAddress, port: UInt16 = SyncSettings.defaultPort, peers: [IPAddress], keyFile: String? = nil,
                intervalMilliseconds: UInt32 = SyncSettings.defaultIntervalMilliseconds) {
        self.address = address
        self.port = port
        self.peers = peers
        self.keyFile = keyFile
        self.intervalMilliseconds = intervalMilliseconds
    }
}
