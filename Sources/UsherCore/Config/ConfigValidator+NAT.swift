import Foundation

/// The rules of the NAT modes: SNAT pools, the `nat:` timeouts, and what `nat` and `gateway`
/// services (and only they) may say.
extension ConfigValidator {
    /// Allowed NAT timeouts, in seconds: up to a week.
    public static let natTimeouts: ClosedRange<UInt32> = 1...604_800
    static let natTimeoutHint = "use 1 to 604800 seconds (7 days), e.g. 900 or 15m"
    static let snatPoolNameHint = "use 1 to 63 letters, digits, '.', '_' or '-', e.g. lb-snat"

    /// CPUs of this host as the data plane counts them (libbpf_num_possible_cpus): each takes
    /// its own share of every SNAT port range.
    public static let possibleCPUCount: Int = {
        let text = try? String(contentsOfFile: "/sys/devices/system/cpu/possible", encoding: .utf8)
        return text.flatMap(cpuCount(inList:)) ?? ProcessInfo.processInfo.activeProcessorCount
    }()

    /// The number of CPUs in a kernel CPU list such as `0-3,8-11` (nil if it is not one).
    static func cpuCount(inList text: String) -> Int? {
        var count = 0
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard let lower = bounds.first ?? nil, let upper = bounds.last ?? nil, bounds.count <= 2, lower <= upper else { return nil }
            count += upper - lower + 1
        }
        return count > 0 ? count : nil
    }

    /// Why `name` cannot be an SNAT pool's name, if it cannot.
    public static func snatPoolNameProblem(_ name: String) -> String? {
        nameProblem(name, what: "SNAT pool name")
    }

    /// Why `seconds` cannot be the NAT timeout `field`, if it cannot.
    public static func natTimeoutProblem(_ seconds: Double, field: String) -> String? {
        let top = Double(natTimeouts.upperBound)
        if seconds < Double(natTimeouts.lowerBound) { return "\(field) \(describeSeconds(seconds)) is below 1s" }
        if seconds > top { return "\(field) \(describeSeconds(seconds)) is above \(Int(top))s (7 days)" }
        return nil
    }

    /// Why `ports` cannot be an SNAT pool's port range on a balancer of `cpus` CPUs, with a
    /// hint; nil if it can. Each CPU allocates only from its own 1/`cpus` of the range (so no
    /// two CPUs ever claim one port): a range of fewer ports than CPUs would leave a CPU with
    /// none, dropping every new flow that CPU receives. Refused rather than warned about.
    public static func portRangeProblem(_ ports: PortRange, cpus: Int) -> (problem: String, hint: String)? {
        if ports.lower == 0 {
            return ("ports \(ports) start at port 0, which is no source port", "start at 1 or above; the default is 1024-65535")
        }
        if ports.lower > ports.upper {
            return ("ports \(ports) start above their end", "write \(ports.upper)-\(ports.lower)")
        }
        if ports.count < cpus {
            let held = ports.count == 1 ? "1 port" : "\(ports.count) ports"
            return ("ports \(ports) hold \(held) for \(cpus) CPUs, leaving a CPU without any",
                    "give at least \(cpus) ports: each CPU allocates from its own 1/\(cpus) of the range; the default is 1024-65535")
        }
        return nil
    }

    static func checkNATSettings(_ nat: NATSettings, into out: inout [ValidationIssue]) {
        let base = FieldPath.root.key("nat")
        for (field, value) in [("tcp-idle-timeout", nat.tcpIdleSeconds), ("tcp-closed-timeout", nat.tcpClosedSeconds),
                               ("udp-idle-timeout", nat.udpIdleSeconds)] {
            if let problem = natTimeoutProblem(Double(value), field: field) {
                out.append(.init(base.key(field), problem, hint: natTimeoutHint))
            }
        }
    }

    static func checkSNATPools(_ config: BalancerConfig, cpus: Int, into out: inout [ValidationIssue]) {
        let pools = FieldPath.root.key("snat-pools")
        let services = FieldPath.root.key("services")
        var vips: [IPAddress: FieldPath] = [:]
        var reals: [IPAddress: (service: String, path: FieldPath)] = [:]
        for (i, service) in config.services.enumerated() {
            if vips[service.vip] == nil { vips[service.vip] = services.index(i).key("vip") }
            for (j, real) in service.reals.enumerated() where reals[real.address] == nil {
                reals[real.address] = (service.name, services.index(i).key("reals").index(j).key("address"))
            }
        }
        var names: [String: Int] = [:]
        var addresses: [IPAddress: (pool: String, path: FieldPath)] = [:]
        for (i, pool) in config.snatPools.enumerated() {
            let path = pools.index(i)
            if let problem = snatPoolNameProblem(pool.name) {
                out.append(.init(path.key("name"), problem, hint: snatPoolNameHint))
            } else if let first = names[pool.name] {
                out.append(.init(path.key("name"), "SNAT pool name \"\(pool.name)\" is already used at",
                                 hint: "give every pool its own name", related: pools.index(first).key("name")))
            } else {
                names[pool.name] = i
            }
            if pool.addresses.isEmpty {
                out.append(.init(path.key("addresses"), "SNAT pool \(pool.name) has no address",
                                 hint: "list 1 to \(SNATPool.maxAddresses) addresses of this balancer, e.g. `addresses: [198.51.100.3]`",
                                 absent: path.key("addresses")))
            } else if pool.addresses.count > SNATPool.maxAddresses {
                out.append(.init(path.key("addresses"), "SNAT pool \(pool.name) has \(pool.addresses.count) addresses; a pool holds at most \(SNATPool.maxAddresses)",
                                 hint: "split them over several pools, each used by its own services"))
            }
            for (k, address) in pool.addresses.enumerated() {
                let addressPath = path.key("addresses").index(k)
                let first = pool.addresses[0]
                if let problem = addressScopeProblem(address, role: "an SNAT address") {
                    out.append(.init(addressPath, problem, hint: "use an address of this balancer that the real servers can reply to, e.g. 198.51.100.3"))
                } else if address.isV4 != first.isV4 {
                    out.append(.init(addressPath, "\(address.familyName) address \(address) in a pool whose first address \(first) is \(first.familyName)",
                                     hint: "a pool holds one family: put \(address.familyName) addresses in a pool of their own"))
                } else if let other = addresses[address] {
                    let message = other.pool == pool.name ? "\(address) is already listed at" : "\(address) is already in SNAT pool \(other.pool) at"
                    out.append(.init(addressPath, message,
                                     hint: "give an address to one pool only: each CPU owns its share of an address's ports, and two pools would mix the shares",
                                     related: other.path))
                } else if let vip = vips[address] {
                    out.append(.init(addressPath, "\(address) is also the VIP at",
                                     hint: "replies to an SNAT address must not be taken for traffic to a service: use another address of this balancer",
                                     related: vip))
                } else if let real = reals[address] {
                    out.append(.init(addressPath, "\(address) is also a real server of service \(real.service), at",
                                     hint: "use an address of this balancer, which the real servers reply to", related: real.path))
                } else {
                    addresses[address] = (pool.name, addressPath)
                }
            }
            if let (problem, hint) = portRangeProblem(pool.ports, cpus: cpus) {
                out.append(.init(path.key("ports"), problem, hint: hint))
            }
        }
    }

    /// A service's `snat-pool` and the NAT rules of its reals.
    static func checkNAT(_ service: VirtualService, config: BalancerConfig, at path: FieldPath, into out: inout [ValidationIssue]) {
        let mode = service.mode
        let poolPath = path.key("snat-pool")
        if mode == .nat {
            if let name = service.snatPool {
                if let pool = config.snatPool(named: name) {
                    if let first = pool.addresses.first, first.isV4 != service.vip.isV4 {
                        out.append(.init(poolPath, "SNAT pool \(name) holds \(first.familyName) addresses, but the VIP \(service.vip) is \(service.vip.familyName)",
                                         hint: "name a pool of \(service.vip.familyName) addresses: the balancer talks to the reals in the VIP's family"))
                    }
                } else {
                    let known = config.snatPools.map(\.name)
                    let hint = Suggestions.closest(to: name, among: known).map { "did you mean \"\($0)\"?" }
                        ?? (known.isEmpty ? "define it under `snat-pools:` with `- name: \(name)` and its `addresses:`"
                            : "known pools: \(known.joined(separator: ", "))")
                    out.append(.init(poolPath, "no SNAT pool named \"\(name)\"", hint: hint,
                                     absent: FieldPath.root.key("snat-pools").key(name)))
                }
            } else {
                let known = config.snatPools.map(\.name)
                let hint = known.isEmpty
                    ? "define a pool under `snat-pools:` (`- name: lb-snat` with `addresses: [198.51.100.3]`) and add `snat-pool: lb-snat`"
                    : "add `snat-pool:` naming one of \(known.joined(separator: ", "))"
                out.append(.init(poolPath, "a nat service needs an SNAT pool, the source addresses its real servers see", hint: hint))
            }
        } else if service.snatPool != nil {
            let hint: String
            switch mode {
            case .gateway: hint = "a gateway service keeps the client's address as the source: remove snat-pool, or set mode: nat"
            case .http, .https: hint = "remove it; the proxy connects to its pools from this host's own addresses"
            default: hint = "remove it, or set mode: nat to have the reals see the balancer's addresses"
            }
            out.append(.init(poolPath, "snat-pool is for nat services, not \(mode.rawValue)", hint: hint))
        }

        for (j, real) in service.reals.enumerated() {
            let realPath = path.key("reals").index(j)
            if mode.isNAT, real.address.isV4 != service.vip.isV4, addressScopeProblem(real.address, role: "") == nil {
                out.append(.init(realPath.key("address"), "\(real.address.familyName) real \(real.address) in a \(mode.rawValue) service with an \(service.vip.familyName) VIP",
                                 hint: "\(mode.rawValue) rewrites addresses within one family: use reals of the VIP's family, or a separate service"))
            }
            guard let port = real.port else { continue }
            if !mode.isNAT {
                out.append(.init(realPath.key("port"), "a \(mode.rawValue) real answers from the VIP's port, so it cannot listen on port \(port)",
                                 hint: "remove port (the real listens on the service's port), or use mode nat or gateway, which translate ports"))
            } else if service.port == 0 {
                out.append(.init(realPath.key("port"), "a service on every port (\"*\") keeps each client's destination port; a real cannot give its own",
                                 hint: "remove port, or give the service one port"))
            }
        }
    }
}
