import UsherCore

/// A change the kernel reported that may move a real server's next hop (`NextHopMonitor`).
/// The daemon does not need to interpret it: any event is a reason to call
/// `Dataplane.refreshNextHops(resolver:)`; the details are for the log.
public enum NextHopEvent: Hashable, Sendable, CustomStringConvertible {
    /// A neighbour entry was added or changed (`mac` is nil while it is not usable, e.g.
    /// INCOMPLETE or FAILED), or removed. `state` is as `ip neigh` prints it.
    case neighbour(address: IPAddress, ifindex: UInt32, mac: MACAddress?, state: String, removed: Bool)
    /// A route was added, changed or removed (`gateway` and `ifindex` when it has them).
    case route(destination: IPAddress?, prefixLength: UInt8, ifindex: UInt32?, gateway: IPAddress?, removed: Bool)
    /// An interface appeared, changed (e.g. its MAC) or disappeared.
    case link(ifindex: UInt32, name: String, mac: MACAddress?, removed: Bool)
    /// The kernel dropped events (the socket's receive buffer overflowed): anything may have
    /// changed, so every next hop should be looked at again.
    case eventsLost

    public var description: String {
        switch self {
        case let .neighbour(address, ifindex, mac, state, removed):
            return removed ? "neighbour \(address) on ifindex \(ifindex) removed"
                : "neighbour \(address) on ifindex \(ifindex) is \(mac.map { "\($0)" } ?? "unresolved") (\(state))"
        case let .route(destination, prefixLength, ifindex, gateway, removed):
            let prefix = destination.map { "\($0)/\(prefixLength)" } ?? "default"
            let via = gateway.map { " via \($0)" } ?? ""
            let dev = ifindex.map { " ifindex \($0)" } ?? ""
            return "route \(prefix)\(via)\(dev) \(removed ? "removed" : "added or changed")"
        case let .link(ifindex, name, mac, removed):
            return removed ? "interface \(name) (ifindex \(ifindex)) removed"
                : "interface \(name) (ifindex \(ifindex)) has address \(mac.map { "\($0)" } ?? "none")"
        case .eventsLost:
            return "the kernel dropped netlink events; every next hop must be checked"
        }
    }
}
