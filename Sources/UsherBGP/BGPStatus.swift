import Foundation
import UsherCore

/// What the operator sees of this balancer's BGP side (`usher status`, the API, /metrics): each
/// session as bird last told it, and each VIP `bgp:` may announce with whether it is announced
/// now. Written to daemon.json by the daemon when it changes.
public struct BGPStatus: Codable, Sendable, Hashable {
    /// One BGP session (one `neighbors:` entry, bird's protocol `usher_peerN`).
    public struct Session: Codable, Sendable, Hashable {
        /// bird's name for it: usher_peer1, usher_peer2, … in the order of `neighbors:`.
        public var name: String
        public var neighbor: String
        public var remoteAS: UInt32
        /// The BGP state: Established, Idle, Connect, Active, OpenSent, OpenConfirm; `unknown`
        /// when bird did not answer.
        public var state: String
        public var established: Bool
        /// When the session entered its state (bird's clock).
        public var since: Date?
        /// What bird adds after the state, such as the last error; nil when nothing.
        public var info: String?
    }

    /// A VIP `bgp:` may announce: announced while one of its services serves it.
    public struct VIP: Codable, Sendable, Hashable {
        public var vip: String
        /// bird holds the route and exports it on every established session.
        public var announced: Bool
    }

    public var sessions: [Session]
    public var vips: [VIP]
    /// Why bird could not be asked, when it could not (sessions are then `unknown`).
    public var error: String?

    /// The status from bird's `show protocols` rows (nil: bird did not answer, `error` says why),
    /// the configured neighbors, the VIPs `bgp:` names and those in bird's config now.
    public init(rows: [BirdProtocol]?, error: String? = nil, settings: BGPSettings, candidates: [IPAddress],
                announced: [IPAddress]) {
        let byName = Dictionary((rows ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        sessions = settings.neighbors.enumerated().map { i, neighbor in
            let name = BirdConfig.peerName(i)
            guard let row = byName[name], row.proto == "BGP" else {
                return Session(name: name, neighbor: neighbor.address.description, remoteAS: neighbor.remoteAS,
                               state: "unknown", established: false, since: nil, info: error ?? "bird does not list \(name)")
            }
            let words = row.info.split(separator: " ", maxSplits: 1).map(String.init)
            // A session that is not up yet (bird's state `start`) with no word of its own is Idle.
            let state = words.first ?? (row.state == "up" ? "Established" : "Idle")
            return Session(name: name, neighbor: neighbor.address.description, remoteAS: neighbor.remoteAS, state: state,
                           established: state == "Established", since: row.since, info: words.count > 1 ? words[1] : nil)
        }
        let now = Set(announced)
        vips = candidates.map { VIP(vip: $0.description, announced: now.contains($0)) }
        self.error = error
    }
}
