/// The checks of the pools of an `http`/`https` service.
extension ConfigValidator {
    static func checkPools(_ pools: [Pool], at service: FieldPath, into out: inout [ValidationIssue]) {
        var names: [String: Int] = [:]
        for (m, pool) in pools.enumerated() {
            let path = service.key("pools").index(m)
            if let problem = poolNameProblem(pool.name) {
                out.append(.init(path.key("name"), problem, hint: poolNameHint))
            } else if let first = names[pool.name] {
                out.append(.init(path.key("name"), "pool name \"\(pool.name)\" is already used at",
                                 hint: "give every pool of a service its own name", related: service.key("pools").index(first).key("name")))
            } else {
                names[pool.name] = m
            }
            checkMembers(pool.members, at: path, into: &out)
            checkAffinity(pool.affinity, at: path.key("affinity"), into: &out)
            if let tls = pool.upstreamTLS { checkUpstreamTLS(tls, at: path.key("tls"), into: &out) }
            if let check = pool.healthCheck { checkHealthCheck(check, at: path.key("health-check"), into: &out) }
            for (key, value, range) in [("connect-timeout", pool.connectTimeoutSeconds, L7Bounds.connectTimeoutSeconds),
                                        ("response-timeout", pool.responseTimeoutSeconds, L7Bounds.responseTimeoutSeconds)] {
                if let (problem, hint) = boundsProblem(key, seconds: value, range) { out.append(.init(path.key(key), problem, hint: hint)) }
            }
        }
    }

    /// Why `name` cannot be a pool name, if it cannot: the rules of service names.
    static func poolNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the pool name is empty" }
        return serviceNameProblem(name).map { $0.replacingOccurrences(of: "service name", with: "pool name") }
    }

    private static func checkMembers(_ members: [PoolMember], at pool: FieldPath, into out: inout [ValidationIssue]) {
        var seen: [String: Int] = [:]
        for (j, member) in members.enumerated() {
            let path = pool.key("reals").index(j)
            if member.address.isUnspecified || member.address.isMulticast {
                // Loopback is fine here: the proxy itself connects, e.g. to an application on 127.0.0.1.
                let problem = addressScopeProblem(member.address, role: "a real server") ?? ""
                out.append(.init(path.key("address"), problem, hint: "write the real server's own address, e.g. 198.51.100.11"))
            } else {
                let endpoint = member.address.isV4 ? "\(member.address):\(member.port)" : "[\(member.address)]:\(member.port)"
                if let first = seen[endpoint] {
                    out.append(.init(path.key("address"), "real \(endpoint) is already listed at",
                                     hint: "list each real once per pool; give it a larger weight for a larger share",
                                     related: pool.key("reals").index(first).key("address")))
                } else {
                    seen[endpoint] = j
                }
            }
            if member.port == 0 {
                out.append(.init(path.key("port"), "port 0 is out of range", hint: "use 1 to 65535"))
            }
            if let problem = weightProblem(Int(member.weight)) {
                out.append(.init(path.key("weight"), problem, hint: weightHint))
            }
        }
    }

    private static func checkAffinity(_ affinity: Affinity, at path: FieldPath, into out: inout [ValidationIssue]) {
        switch affinity {
        case .none, .sourceIP:
            break
        case let .header(name):
            if let problem = headerNameProblem(name) { out.append(.init(path, problem, hint: headerNameHint)) }
        case let .insertedCookie(name), let .applicationCookie(name):
            if name.isEmpty {
                out.append(.init(path, "the cookie name is empty", hint: "write e.g. `affinity: cookie USHERID`"))
            } else if let bad = name.first(where: { !isTokenCharacter($0) }) {
                out.append(.init(path, "cookie name \"\(name)\" contains \(quoted(bad))",
                                 hint: "a cookie name is letters, digits and !#$%&'*+-.^_`|~, e.g. USHERID"))
            }
        }
    }

    private static func checkUpstreamTLS(_ tls: UpstreamTLS, at path: FieldPath, into out: inout [ValidationIssue]) {
        if let ca = tls.caPath, let (problem, hint) = pemFileProblem(ca, expecting: .certificate) {
            out.append(.init(path.key("ca"), problem.replacingOccurrences(of: "certificate file", with: "CA file"), hint: hint))
        }
        if let name = tls.serverName, let problem = hostnameProblem(name, wildcard: false) {
            out.append(.init(path.key("server-name"), problem, hint: "write the DNS name in the real servers' certificates, e.g. app.internal"))
        }
    }
}
