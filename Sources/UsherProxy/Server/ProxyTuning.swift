import NIOCore

/// Proxy-wide settings that are not per service (`usher proxy` flags).
public struct ProxyTuning: Sendable, Equatable {
    /// A kept-alive connection to a real server unused this long is closed (keep it below the
    /// real servers' own keep-alive timeout, so that the proxy is the one to close).
    public var upstreamIdleTimeout: TimeAmount
    /// An upgraded connection (WebSocket) with no byte either way this long is closed.
    public var tunnelIdleTimeout: TimeAmount
    /// Idle keep-alive connections kept per (event loop, real server).
    public var maximumIdlePerMember: Int

    public init(upstreamIdleTimeout: TimeAmount = .seconds(30), tunnelIdleTimeout: TimeAmount = .seconds(3600),
                maximumIdlePerMember: Int = 32) {
        self.upstreamIdleTimeout = upstreamIdleTimeout
        self.tunnelIdleTimeout = tunnelIdleTimeout
        self.maximumIdlePerMember = maximumIdlePerMember
    }
}
