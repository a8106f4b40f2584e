import CUsherABI
import UsherCore

/// One flow the data plane tracks, as `usher flows` shows it: a dsr flow of usher_ct_v3, or a
/// nat/gateway flow of usher_nat_v2 joined with its usher_natrev_v2 entry (the reply side).
public struct TrackedFlow: Hashable, Sendable {
    public var proto: TransportProtocol
    /// The client's address and port, as the client sent them.
    public var client: IPAddress, clientPort: UInt16
    /// The VIP and port the client sent to.
    public var vip: IPAddress, vipPort: UInt16
    /// The service id of the flow's entry; `service` is its name when the dataplane state knows it.
    public var serviceID: UInt32, service: String?
    /// `dsr-l2`, `dsr-ipip`, `nat`, `gateway` (of the service in usher_vips_v2 now; a nat flow
    /// whose service is gone is `nat` or `gateway` by its translation).
    public var mode: String
    /// The real's address while its entry is present in the flow's service; dsr: realPort = vipPort.
    public var real: IPAddress?, realPort: UInt16
    /// nat: the pool address and port the real sees; gateway: the client's own; dsr: nil.
    public var snatAddress: IPAddress?, snatPort: UInt16?
    /// `tracked` (dsr), `established`, `fin-client`, `fin-real`, `closed` (RST, or FIN both ways).
    public var state: String
    /// Seconds since the flow's last packet (either direction), CLOCK_MONOTONIC; the data
    /// plane refreshes its stamps at most once a second.
    public var idleSeconds: UInt64

    public init(proto: TransportProtocol, client: IPAddress, clientPort: UInt16, vip: IPAddress, vipPort: UInt16,
                serviceID: UInt32, service: String?, mode: String, real: IPAddress?, realPort: UInt16,
                snatAddress: IPAddress?, snatPort: UInt16?, state: String, idleSeconds: UInt64) {
        self.proto = proto
        self.client = client
        self.clientPort = clientPort
        self.vip = vip
        self.vipPort = vipPort
        self.serviceID = serviceID
        self.service = service
        self.mode = mode
        self.real = real
        self.realPort = realPort
        self.snatAddress = snatAddress
        self.snatPort = snatPort
        self.state = state
        self.idleSeconds = idleSeconds
    }

    /// The state name of a nat/gateway flow from the USHER_NAT_S_* bits each side sent.
    static func stateName(client: UInt8, real: UInt8) -> String {
        let fin = UInt8(USHER_NAT_S_FIN), rst = UInt8(USHER_NAT_S_RST)
        if (client | real) & rst != 0 || (client & fin != 0 && real & fin != 0) { return "closed" }
        if client & fin != 0 { return "fin-client" }
        if real & fin != 0 { return "fin-real" }
        return "established"
    }
}
