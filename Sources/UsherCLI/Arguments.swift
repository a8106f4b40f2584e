import ArgumentParser
import UsherCore

extension ForwardingMode: ExpressibleByArgument {}
extension TransportProtocol: ExpressibleByArgument {}
extension XDPMode: ExpressibleByArgument {}

extension IPAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension MACAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// A service port on the command line: 1…65535, or `*` for every port.
struct PortArgument: ExpressibleByArgument, CustomStringConvertible {
    let value: UInt16

    init?(argument: String) {
        if argument == "*" { value = 0; return }
        guard let v = UInt16(argument), v > 0 else { return nil }
        value = v
    }

    var description: String { value == 0 ? "*" : String(value) }
    static var defaultCompletionKind: CompletionKind { .default }
}

/// How flows are hashed onto the Maglev table.
enum HashArgument: String, ExpressibleByArgument, CaseIterable {
    case fiveTuple = "5-tuple"
    case sourceIP = "source-ip"
}

/// `LOWER-UPPER` (`1024-65535`); whether the range suits an SNAT pool is judged by
/// `ConfigValidator.portRangeProblem`.
extension PortRange: ExpressibleByArgument {
    public init?(argument: String) {
        let parts = argument.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let lower = UInt16(parts[0]), let upper = UInt16(parts[1]) else { return nil }
        self.init(lower: lower, upper: upper)
    }
}

extension IPPrefix: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension IPPrefix {
    /// The prefix's address with its host bits cleared.
    var networkBytes: [UInt8] { zip(address.bytes, hostMaskBytes).map { $0 & ~$1 } }

    /// `198.51.100.0/24` for `198.51.100.7/24`.
    var network: IPPrefix { IPPrefix(address: IPAddress(bytes: networkBytes) ?? address, length: length) ?? self }

    /// Whether `other` is inside the prefix (never for the other family).
    func contains(_ other: IPAddress) -> Bool {
        guard other.isV4 == address.isV4 else { return false }
        return zip(other.bytes, hostMaskBytes).map { $0 & ~$1 } == networkBytes
    }
}
