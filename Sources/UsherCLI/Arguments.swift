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
