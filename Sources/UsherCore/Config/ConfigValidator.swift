/// The checks every config must pass before it is applied, whether it came from a file
/// (`ConfigLoader`, which adds file positions) or was built by an imperative command such as
/// `usher real add`. Errors name the field by path (`services[1].reals[0].address`).
public enum ConfigValidator {
    /// Entries of the data plane's service map (USHER_MAX_SERVICES).
    public static let maxServices = 4096
    /// Allowed Maglev table sizes; they must also be prime (USHER_MAGLEV_MAX_SIZE is the top).
    public static let maglevTableSizes: ClosedRange<Int> = 7...1_048_573
    /// Allowed real-server weights; 0 drains the real.
    public static let weights: ClosedRange<UInt32> = 0...1000
    /// Linux interface names are at most IFNAMSIZ - 1 bytes.
    public static let maxInterfaceNameLength = 15
    public static let maxServiceNameLength = 63

    /// Every problem of `config`, in the order of the config; empty when it can be applied.
    public static func validate(_ config: BalancerConfig) -> [ConfigError] {
        issues(config).map { ConfigError(field: $0.path.description, message: $0.fullMessage(), hint: $0.hint) }
    }

    /// `cpus`: the CPUs the data plane splits each SNAT port range between.
    static func issues(_ config: BalancerConfig, cpus: Int = possibleCPUCount) -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        checkInterfaces(config.interfaces, into: &out)
        checkEncapsulation(config.encapsulation, into: &out)
        checkSNATPools(config, cpus: cpus, into: &out)
        checkNATSettings(config.nat, into: &out)
        if let sync = config.sync { checkSync(sync, into: &out) }
        if let bgp = config.bgp { checkBGP(bgp, services: config.services, into: &out) }
        checkServices(config, into: &out)
        checkHA(config, into: &out)
        return out
    }

    /// Why `name` cannot be a Linux interface name, if it cannot.
    public static func interfaceNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the interface name is empty" }
        if name.utf8.count > maxInterfaceNameLength {
            return "\"\(name)\" is longer than \(maxInterfaceNameLength) bytes, the longest interface name Linux allows"
        }
        if name == "." || name == ".." { return "\"\(name)\" cannot be an interface name" }
        if let bad = name.first(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) {
            return "interface name \"\(name)\" contains \(quoted(bad)), which Linux does not allow"
        }
        return nil
    }

    /// Why `name` cannot be a service name, if it cannot.
    public static func serviceNameProblem(_ name: String) -> String? {
        nameProblem(name, what: "service name")
    }

    /// Why `name` cannot be the name of a service or a pool (`what`), if it cannot.
    static func nameProblem(_ name: String, what: String) -> String? {
        if name.isEmpty { return "the \(what) is empty" }
        if name.count > maxServiceNameLength {
            return "\(what) \"\(name)\" is \(name.count) characters long, more than \(maxServiceNameLength)"
        }
        if let bad = name.first(where: { !isServiceNameCharacter($0) }) {
            return "\(what) \"\(name)\" contains \(quoted(bad))"
        }
        return nil
    }

    static let serviceNameHint = "use 1 to 63 letters, digits, '.', '_' or '-', e.g. web-frontend"

    private static func isServiceNameCharacter(_ c: Character) -> Bool {
        guard c.isASCII, let v = c.asciiValue else { return false }
        switch v {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func quoted(_ c: Character) -> String {
        switch c {
        case " ": return "a space"
        case "\t": return "a tab"
        case _ where c.isWhitespace: return "whitespace"
        default: return "'\(c)'"
        }
    }

    private static func checkInterfaces(_ interfaces: [InterfaceConfig], into out: inout [ValidationIssue]) {
        var seen: [String: Int] = [:]
        for (i, interface) in interfaces.enumerated() {
            let path = FieldPath.root.key("interfaces").index(i).key("name")
            if let problem = interfaceNameProblem(interface.name) {
                out.append(.init(path, problem, hint: "write the name shown by `ip link`, e.g. eth0"))
                continue
            }
            if let first = seen[interface.name] {
                out.append(.init(path, "interface \(interface.name) is listed twice; first at",
                                 hint: "list each interface once", related: FieldPath.root.key("interfaces").index(first).key("name")))
            } else {
                seen[interface.name] = i
            }
        }
    }

    private static func checkEncapsulation(_ encapsulation: Encapsulation, into out: inout [ValidationIssue]) {
        let base = FieldPath.root.key("encapsulation")
        for (field, prefix, wantV4) in [("source-v4", encapsulation.sourceV4, true), ("source-v6", encapsulation.sourceV6, false)] {
            guard let prefix else { continue }
            let path = base.key(field)
            if prefix.address.isV4 != wantV4 {
                let other = wantV4 ? "source-v6" : "source-v4"
                out.append(.init(path, "\(field) must be an \(wantV4 ? "IPv4" : "IPv6") prefix, found \(prefix)",
                                 hint: "put \(prefix.address.familyName) prefixes under \(other)"))
                continue
            }
            if let problem = prefixScopeProblem(prefix, role: "an encapsulation source") {
                out.append(.init(path, problem, hint: "use a prefix of addresses this balancer may send from, e.g. \(wantV4 ? "198.51.100.64/26" : "2001:db8:2::/112")"))
                continue
            }
            let network = networkAddress(of: prefix)
            if network != prefix.address {
                out.append(.init(path, "\(prefix) has host bits set",
                                 hint: "write \(network)/\(prefix.length); the host bits are filled from the flow hash"))
            }
        }
    }

    /// Why `address` cannot be a VIP, a real or a source address (the one rule for every such
    /// field, in files and on the command line): unspecified, "this network", loopback,
    /// multicast, the limited broadcast, reserved (240.0.0.0/4) or IPv4-mapped IPv6.
    public static func addressScopeProblem(_ address: IPAddress, role: String) -> String? {
        if address.isUnspecified { return "\(address) is the unspecified address and cannot be \(role)" }
        if address.isThisNetworkV4 { return "\(address) is in 0.0.0.0/8 (\"this network\") and cannot be \(role)" }
        if address.isLoopback { return "\(address) is a loopback address and cannot be \(role)" }
        if address.isMulticast { return "\(address) is a multicast address and cannot be \(role)" }
        if address.isLimitedBroadcast { return "\(address) is the limited broadcast address and cannot be \(role)" }
        if address.isReservedV4 { return "\(address) is in the reserved 240.0.0.0/4 and cannot be \(role)" }
        if address.isV4Mapped {
            return "\(address) is an IPv4-mapped IPv6 address, which never appears on the wire, and cannot be \(role); " +
                "write the IPv4 address itself"
        }
        return nil
    }

    /// Why a prefix of source addresses cannot be used: its first or last address, or any in
    /// between for IPv4, falls under `addressScopeProblem` (128.0.0.0/1 reaches multicast).
    public static func prefixScopeProblem(_ prefix: IPPrefix, role: String) -> String? {
        let first = networkAddress(of: prefix)
        let last = IPAddress(bytes: zip(first.bytes, prefix.hostMaskBytes).map { $0 | $1 }) ?? first
        for address in [first, last] {
            if let problem = addressScopeProblem(address, role: role) { return "\(prefix) reaches \(problem)" }
        }
        if prefix.address.isV4 {
            let lo = first.bytes[0], hi = last.bytes[0]
            // 0/8, 127/8 and 224/3 lie wholly inside any range that spans them.
            for (bad, name) in [(UInt8(0), "0.0.0.0/8"), (127, "127.0.0.0/8"), (224, "224.0.0.0/4")] where lo < bad && bad < hi {
                return "\(prefix) spans \(name), which cannot be \(role)"
            }
        }
        return nil
    }

    private static func networkAddress(of prefix: IPPrefix) -> IPAddress {
        let masked = zip(prefix.address.bytes, prefix.hostMaskBytes).map { $0 & ~$1 }
        return IPAddress(bytes: masked) ?? prefix.address
    }
}

extension ConfigValidator {
    static let weightHint = "use 0 (drain) to 1000; weights are relative, so 1 and 2 give a 1:2 split"

    /// Why `weight` is not a valid weight, if it is not.
    /// Why `weight` cannot be a real's weight, if it cannot.
    public static func weightProblem(_ weight: Int) -> String? {
        if weight < Int(weights.lowerBound) { return "weight \(weight) is below \(weights.lowerBound)" }
        if weight > Int(weights.upperBound) { return "weight \(weight) is above \(weights.upperBound)" }
        return nil
    }
}
