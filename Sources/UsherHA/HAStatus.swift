import Foundation

/// The pair as `usher status` and `<state dir>/daemon.json` show it.
public struct HAStatus: Codable, Sendable, Hashable {
    public var role: HARole
    /// When the role last changed.
    public var since: Date
    public var interface: String
    public var virtualRouterID: Int
    /// Where the advertisements go (this balancer's own addresses left out).
    public var peers: [String]
    /// keepalived's process, while it runs.
    public var keepalivedPID: Int32?
    /// How often keepalived was started again after it died.
    public var restarts: Int

    public init(role: HARole, since: Date, interface: String, virtualRouterID: Int, peers: [String],
                keepalivedPID: Int32? = nil, restarts: Int = 0) {
        self.role = role
        self.since = since
        self.interface = interface
        self.virtualRouterID = virtualRouterID
        self.peers = peers
        self.keepalivedPID = keepalivedPID
        self.restarts = restarts
    }
}
