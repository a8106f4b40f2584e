import NIOCore
import UsherCore

/// Where one real's probe goes: the check's own address and port when it has them, else the
/// real's traffic address and port.
struct ProbeTarget: Sendable {
    let target: HealthTarget
    let address: IPAddress
    let port: UInt16
    /// Made once, not per check (formatting and parsing the address cost as much as a syscall).
    private let resolved: Result<SocketAddress, Error>

    init(_ target: HealthTarget, check: HealthCheck) {
        self.target = target
        self.address = check.address ?? target.address
        self.port = check.port ?? target.port
        let address = self.address, port = self.port
        self.resolved = Result { try SocketAddress(ipAddress: "\(address)", port: Int(port)) }
    }

    /// `198.51.100.11:80`, `[2001:db8::11]:80`: the default `Host` of HTTP checks.
    var hostAndPort: String {
        address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// The socket address to probe; nil after failing `outcome` when there is none.
    func socketAddress(failing outcome: EventLoopPromise<ProbeResult>) -> SocketAddress? {
        switch resolved {
        case let .success(address):
            return address
        case let .failure(error):
            outcome.succeed(.failed("not a socket address: \(error)"))
            return nil
        }
    }
}
