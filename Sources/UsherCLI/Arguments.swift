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
