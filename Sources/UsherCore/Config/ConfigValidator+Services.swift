extension ConfigValidator {
    static func checkServices(_ config: BalancerConfig, into out: inout [ValidationIssue]) {
        let services = FieldPath.root.key("services")
        if config.services.count > maxServices {
            out.append(.init(services, "\(config.services.count) services; the data plane holds at most \(maxServices)",
                             hint: "remove unused services or spread them over several balancers"))
        }
        var names: [String: Int] = [:]
        var keys: [ServiceKey: Int] = [:]
        // The first MAC given for each real address, across services.
        var macs: [IPAddress: (mac: MACAddress, path: FieldPath, service: Int)] = [:]

        for (i, service) in config.services.enumerated() {
            let path = services.index(i)
            if let problem = serviceNameProblem(service.name) {
                out.append(.init(path.key("name"), problem, hint: serviceNameHint))
            } else if let first = names[service.name] {
                out.append(.init(path.key("name"), "service name \"\(service.name)\" is already used at",
                                 hint: "give every service its own name", related: services.index(first).key("name")))
            } else {
                names[service.name] = i
            }

            if let problem = addressScopeProblem(service.vip, role: "a VIP") {
                out.append(.init(path.key("vip"), problem, hint: "write the address clients connect to, e.g. 203.0.113.10"))
            } else if let first = keys[service.key] {
                out.append(.init(path.key("vip"), "service \(service.key) is already defined at",
                                 hint: "a VIP, port and protocol belong to one service: merge the two, or change the port",
                                 related: services.index(first).key("vip")))
            } else {
                keys[service.key] = i
            }

            checkMode(service, encapsulation: config.encapsulation, at: path, into: &out)
            checkTableSize(service, at: path, into: &out)
            checkReals(service, index: i, at: path, macs: &macs, into: &out)
            checkServiceHealth(service, at: path, into: &out)
            checkNAT(service, config: config, at: path, into: &out)
            checkLayer7(service, at: path, into: &out)
        }
    }

    private static func checkMode(_ service: VirtualService, encapsulation: Encapsulation, at path: FieldPath, into out: inout [ValidationIssue]) {
        switch service.mode {
        case .dsrIPIP:
            let v4 = service.vip.isV4
            if (v4 ? encapsulation.sourceV4 : encapsulation.sourceV6) == nil {
                let field = v4 ? "source-v4" : "source-v6"
                let example = v4 ? "198.51.100.64/26" : "2001:db8:2::/112"
                out.append(.init(path.key("mode"), "dsr-ipip for an \(service.vip.familyName) VIP needs encapsulation.\(field)",
                                 hint: "add `encapsulation:` with `\(field): \(example)`, addresses of this balancer for the outer header",
                                 absent: FieldPath.root.key("encapsulation").key(field)))
            }
        case .http, .https:
            if service.port == 0 {
                out.append(.init(path.key("port"), "mode \(service.mode.rawValue) needs one port, not \"*\"",
                                 hint: "give the port the proxy listens on, e.g. \(service.mode == .http ? 80 : 443)"))
            }
            if service.proto != .tcp {
                out.append(.init(path.key("protocol"), "mode \(service.mode.rawValue) runs over TCP, not \(service.proto.rawValue)",
                                 hint: "write `protocol: tcp`, or use dsr-l2 or dsr-ipip for UDP"))
            }
        case .dsrL2, .nat, .gateway:
            break // nat/gateway rules: ConfigValidator+NAT
        }
    }

    /// Why `size` cannot be a Maglev table size, with a hint naming a good one; nil if it can.
    public static func tableSizeProblem(_ size: Int) -> (problem: String, hint: String)? {
        if !maglevTableSizes.contains(size) {
            let suggestion = Primes.nearest(to: size, in: maglevTableSizes)
            return ("\(size) is outside \(maglevTableSizes.lowerBound)…\(maglevTableSizes.upperBound)",
                    "use a prime in that range, e.g. \(suggestion)")
        }
        if !Primes.isPrime(size) {
            let suggestion = Primes.nearest(to: size, in: maglevTableSizes)
            return ("\(size) is not a prime", "Maglev needs a prime table size; use \(suggestion)")
        }
        return nil
    }

    private static func checkTableSize(_ service: VirtualService, at path: FieldPath, into out: inout [ValidationIssue]) {
        let size = Int(service.maglevTableSize)
        let field = path.key("maglev-table-size")
        if let (problem, hint) = tableSizeProblem(size) {
            out.append(.init(field, problem, hint: hint))
        } else if size < service.reals.count {
            let wanted = min(service.reals.count * 100, maglevTableSizes.upperBound)
            let suggestion = Primes.nearest(to: wanted, in: wanted...maglevTableSizes.upperBound)
            out.append(.init(field, "a table of \(size) slots cannot hold \(service.reals.count) reals",
                             hint: "use a prime of at least 100 × the number of reals, e.g. \(suggestion)"))
        }
    }

    private static func checkReals(
        _ service: VirtualService, index: Int, at path: FieldPath,
        macs: inout [IPAddress: (mac: MACAddress, path: FieldPath, service: Int)], into out: inout [ValidationIssue]
    ) {
        var seen: [IPAddress: Int] = [:]
        for (j, real) in service.reals.enumerated() {
            let realPath = path.key("reals").index(j)
            let addressPath = realPath.key("address")
            if let problem = addressScopeProblem(real.address, role: "a real server") {
                out.append(.init(addressPath, problem, hint: "write the real server's own address, e.g. 198.51.100.11"))
            } else if let first = seen[real.address] {
                out.append(.init(addressPath, "real \(real.address) is already listed at",
                                 hint: "list each real once per service; give it a larger weight for a larger share",
                                 related: path.key("reals").index(first).key("address")))
            } else {
                seen[real.address] = j
            }
            if service.mode == .dsrIPIP, real.address.isV4 != service.vip.isV4 {
                out.append(.init(addressPath, "\(real.address.familyName) real \(real.address) in a dsr-ipip service with an \(service.vip.familyName) VIP",
                                 hint: "dsr-ipip carries IPv4 in IPv4 and IPv6 in IPv6: use reals of the VIP's family, or a separate service"))
            }
            if let problem = weightProblem(Int(real.weight)) {
                out.append(.init(realPath.key("weight"), problem, hint: weightHint))
            }
            guard let mac = real.mac else { continue }
            let macPath = realPath.key("mac")
            if mac.isZero || mac.isMulticast {
                out.append(.init(macPath, "\(mac) is not a unicast MAC address",
                                 hint: "write the real server's (or its router's) MAC, or leave mac out to use the neighbour table"))
            } else if let first = macs[real.address] {
                if first.mac != mac, first.service != index {
                    out.append(.init(macPath, "real \(real.address) has MAC \(mac) here but \(first.mac) at",
                                     hint: "a real server has one next-hop MAC: give the same one in every service, or leave mac out",
                                     related: first.path))
                }
            } else {
                macs[real.address] = (mac, macPath, index)
            }
        }
    }
}
