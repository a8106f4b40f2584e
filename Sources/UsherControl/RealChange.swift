import UsherCore

/// A runtime change to one real of one service, as `usher real …` and the daemon's API make it.
public enum RealChange: Sendable, Hashable, CustomStringConvertible {
    /// Weight 0: no new flows; its tracked flows go on.
    case drain
    /// A new weight (0 drains).
    case weight(UInt32)
    /// Back in rotation while its checks pass.
    case enable
    /// Out of rotation whatever its checks say; its tracked flows are dropped.
    case disable

    public var description: String {
        switch self {
        case .drain: "drain"
        case .weight(let weight): "weight \(weight)"
        case .enable: "enable"
        case .disable: "disable"
        }
    }

    func apply(to real: inout RealServer) {
        switch self {
        case .drain: real.weight = 0
        case .weight(let weight): real.weight = weight
        case .enable: real.disabled = false
        case .disable: real.disabled = true
        }
    }
}

/// A change named a service or a real the config does not have.
public enum RealLookupError: Error, CustomStringConvertible, Sendable {
    case unknownService(String, known: [String])
    case unknownReal(IPAddress, service: String, known: [String])

    public var description: String {
        switch self {
        case let .unknownService(name, known):
            let hint = known.isEmpty ? "there are no services yet: `usher service add` or `usher apply -f FILE`"
                : "known services: \(known.joined(separator: ", "))"
            return "no service named \(name); \(hint)"
        case let .unknownReal(address, service, known):
            return "\(address) is not a real server of \(service)" + (known.isEmpty ? "" : "; its reals: \(known.joined(separator: ", "))")
        }
    }
}

extension Controller {
    /// Changes one real and makes the data plane follow (one apply, under the state lock).
    @discardableResult
    public func change(real address: IPAddress, of service: String, _ change: RealChange) throws -> ConfigDiff {
        try modify(real: address, of: service) { service, index in change.apply(to: &service.reals[index]) }
    }

    /// Removes one real from one service.
    @discardableResult
    public func remove(real address: IPAddress, of service: String) throws -> ConfigDiff {
        try modify(real: address, of: service) { service, index in service.reals.remove(at: index) }
    }

    private func modify(real address: IPAddress, of name: String,
                        _ body: (inout VirtualService, Int) throws -> Void) throws -> ConfigDiff {
        try update { config in
            guard let s = config.services.firstIndex(where: { $0.name == name }) else {
                throw RealLookupError.unknownService(name, known: config.services.map(\.name))
            }
            guard let r = config.services[s].reals.firstIndex(where: { $0.address == address }) else {
                throw RealLookupError.unknownReal(address, service: name,
                                                  known: config.services[s].reals.map(\.address.description))
            }
            try body(&config.services[s], r)
        }
    }
}
