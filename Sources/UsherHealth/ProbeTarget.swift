import NIOCore
import UsherCore

/// Where one real's probe goes: the check's own address and port when it has them, else the
/// real's traffic address and port.
struct ProbeTarget: Sendable {
    let target: HealthTarget
    let address: IPAddress
    let port: UInt16

    init(_ target: HealthTarget, check: HealthCheck) {
        self.target = target
        self.address = check.address ?? target.address
        self.port = check.port ?? target.port
    }

    /// `198.51.100.11:80`, `[2001:db8::11]:80`: the default `Host` of HTTP checks.
    var hostAndPort: String {
        address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// The socket address to probe; nil after failing `outcome` when there is none.
    func socketAddress(failing outcome: EventLoopPromise<ProbeResult>) -> SocketAddress? {
        do {
            return try SocketAddress(ipAddress: "\(address)", port: Int(port))
        } catch {
            outcome.succeed(.failed("not a socket address: \(error)"))
            return nil
        }
    }
}
