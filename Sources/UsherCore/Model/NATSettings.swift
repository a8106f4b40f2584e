/// How long the data plane keeps a `nat`/`gateway` flow's SNAT port (or reply tuple) reserved
/// after its last packet. A flow idle for longer may have its port given to a new flow; its own
/// next packet is then treated as a new flow.
public struct NATSettings: Hashable, Sendable, Codable {
    /// Established TCP: like IPVS's default, long enough for quiet keep-alive connections.
    public static let defaultTCPIdleSeconds: UInt32 = 900
    /// TCP after RST, or FIN both ways: as long as a real server's TIME_WAIT (60 s on Linux),
    /// so a reused (SNAT address, port) never meets the real's old connection.
    public static let defaultTCPClosedSeconds: UInt32 = 60
    /// UDP: there is no end of flow to see.
    public static let defaultUDPIdleSeconds: UInt32 = 60

    public var tcpIdleSeconds: UInt32
    public var tcpClosedSeconds: UInt32
    public var udpIdleSeconds: UInt32

    public init(
        tcpIdleSeconds: UInt32 = NATSettings.defaultTCPIdleSeconds,
        tcpClosedSeconds: UInt32 = NATSettings.defaultTCPClosedSeconds,
        udpIdleSeconds: UInt32 = NATSettings.defaultUDPIdleSeconds
    ) {
        self.tcpIdleSeconds = tcpIdleSeconds
        self.tcpClosedSeconds = tcpClosedSeconds
        self.udpIdleSeconds = udpIdleSeconds
    }
}
