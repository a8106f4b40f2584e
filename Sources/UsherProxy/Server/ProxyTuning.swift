import NIOCore

/// Proxy-wide settings that are not per service (`usher proxy` flags).
public struct ProxyTuning: Sendable, Equatable {
    /// A kept-alive connection to a real server unused this long is closed (keep it below the
    /// real servers' own keep-alive timeout, so that the proxy is the one to close).
    public var upstreamIdleTimeout: TimeAmount
    /// An upgraded connection (WebSocket) with no byte either way this long is closed.
    public var tunnelIdleTimeout: TimeAmount
    /// Idle keep-alive connections kept per (event loop, real server). A bound against a burst's
    /// leftovers, not a working size: the connections the load needs are in use or idle for
    /// moments, and the idle timeout closes those no longer needed. A small bound closed them
    /// under load and opened new ones at once (with 32 and 50 clients on one real: a connect and
    /// a close for one request in six, and the kernel's search for a free port among the
    /// TIME_WAITs they left took a third of the proxy's CPU), as HAProxy's unlimited default
    /// (`pool-max-conn -1`) does not.
    public var maximumIdlePerMember: Int

    public init(upstreamIdleTimeout: TimeAmount = .seconds(30), tunnelIdleTimeout: TimeAmount = .seconds(3600),
                maximumIdlePerMember: Int = 1024) {
        self.upstreamIdleTimeout = upstreamIdleTimeout
        self.tunnelIdleTimeout = tunnelIdleTimeout
        self.maximumIdlePerMember = maximumIdlePerMember
    }
}
