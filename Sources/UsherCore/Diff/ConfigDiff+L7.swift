extension ConfigDiff {
    /// What changed in the proxy settings of an `http`/`https` service, in a few words per
    /// part: enough for an operator to see what an apply touches, not a full listing.
    public struct L7Change: Codable, Hashable, Sendable {
        /// Service-wide settings that changed, in config words, with the old and new value
        /// where short: `tls changed`, `limits max-body 10MiB → 20MiB`, `default-pool app → api`.
        public var settings: [String] = []
        public var poolsAdded: [String] = []
        public var poolsRemoved: [String] = []
        public var poolsChanged: [PoolChange] = []

        /// The changes from `old` to `new` (nil = no proxy settings); nil when there are none.
        public init?(from old: L7Settings?, to new: L7Settings?) {
            guard old != new else { return nil }
            let old = old ?? L7Settings(), new = new ?? L7Settings()
            if old.tls != new.tls { settings.append("tls changed") }
            settings += Self.limitChanges(old.limits, new.limits)
            if old.forwardedHeaders != new.forwardedHeaders {
                settings.append("forwarded-headers \(old.forwardedHeaders) → \(new.forwardedHeaders)")
            }
            if old.requestHeaders != new.requestHeaders { settings.append("request-headers changed") }
            if old.responseHeaders != new.responseHeaders { settings.append("response-headers changed") }
            if old.accessLog != new.accessLog { settings.append("access-log \(Self.describe(old.accessLog)) → \(Self.describe(new.accessLog))") }
            if old.rules != new.rules {
                settings.append(old.rules.count == new.rules.count ? "rules changed" : "rules changed (\(old.rules.count) → \(new.rules.count))")
            }
            if old.defaultPool != new.defaultPool { settings.append("default-pool \(old.defaultPool ?? "(none)") → \(new.defaultPool ?? "(none)")") }

            let newNames = Set(new.pools.map(\.name))
            poolsRemoved = old.pools.map(\.name).filter { !newNames.contains($0) }
            for pool in new.pools {
                guard let before = old.pool(named: pool.name) else { poolsAdded.append(pool.name); continue }
                let change = PoolChange(from: before, to: pool)
                if !change.isEmpty { poolsChanged.append(change) }
            }
        }

        /// `~ service shop: limits max-body 10MiB → 20MiB`, `+ service shop: pool api`,
        /// `~ service shop: pool app real 198.51.100.12:8080 weight 1 → 0 (draining)`.
        func lines(service: String) -> [String] {
            var out = settings.map { "~ service \(service): \($0)" }
            out += poolsRemoved.map { "- service \(service): pool \($0)" }
            out += poolsAdded.map { "+ service \(service): pool \($0)" }
            for pool in poolsChanged {
                let prefix = "service \(service): pool \(pool.name)"
                out += pool.settings.map { "~ \(prefix) \($0)" }
                out += pool.realsRemoved.map { "- \(prefix) real \($0)" }
                out += pool.realsAdded.map { "+ \(prefix) real \($0)" }
                out += pool.realsChanged.map { "~ \(prefix) real \($0)" }
            }
            return out
        }

        private static func limitChanges(_ old: HTTPLimits, _ new: HTTPLimits) -> [String] {
            let bytes = ConfigValidator.describeBytes, seconds = ConfigValidator.describeSeconds
            let pairs: [(String, String, String)] = [
                ("max-request-line", bytes(old.maxRequestLineBytes), bytes(new.maxRequestLineBytes)),
                ("max-header-bytes", bytes(old.maxHeaderBytes), bytes(new.maxHeaderBytes)),
                ("max-headers", String(old.maxHeaderCount), String(new.maxHeaderCount)),
                ("max-body", bytes(old.maxBodyBytes), bytes(new.maxBodyBytes)),
                ("header-timeout", seconds(old.headerTimeoutSeconds), seconds(new.headerTimeoutSeconds)),
                ("idle-timeout", seconds(old.idleTimeoutSeconds), seconds(new.idleTimeoutSeconds)),
                ("max-connections", String(old.maxConnections), String(new.maxConnections)),
                ("body-timeout", seconds(old.bodyTimeoutSeconds), seconds(new.bodyTimeoutSeconds)),
                ("min-body-rate", bytes(old.minBodyRate) + "/s", bytes(new.minBodyRate) + "/s"),
            ]
            return pairs.filter { $0.1 != $0.2 }.map { "limits \($0.0) \($0.1) → \($0.2)" }
        }

        static func describe(_ target: AccessLogTarget) -> String {
            switch target {
            case .none: return "none"
            case .standardOutput: return "stdout"
            case let .file(path): return path
            }
        }
    }

    /// A pool kept (same name) whose settings or reals changed.
    public struct PoolChange: Codable, Hashable, Sendable {
        public var name: String
        /// scheduler, affinity, tls, proxy-protocol, health-check, connect-timeout, response-timeout.
        public var settings: [String] = []
        /// `198.51.100.13:8080 weight 1`.
        public var realsAdded: [String] = []
        /// `198.51.100.12:8080`.
        public var realsRemoved: [String] = []
        /// `198.51.100.12:8080 weight 1 → 0 (draining)`.
        public var realsChanged: [String] = []

        public init(from old: Pool, to new: Pool) {
            name = new.name
            let seconds = ConfigValidator.describeSeconds
            let fields: [(String, Bool)] = [
                ("scheduler \(old.scheduler.rawValue) → \(new.scheduler.rawValue)", old.scheduler != new.scheduler),
                ("affinity changed", old.affinity != new.affinity),
                ("tls changed", old.upstreamTLS != new.upstreamTLS),
                ("proxy-protocol \(old.proxyProtocol?.rawValue ?? "(none)") → \(new.proxyProtocol?.rawValue ?? "(none)")",
                 old.proxyProtocol != new.proxyProtocol),
                ("health-check changed", old.healthCheck != new.healthCheck),
                ("connect-timeout \(seconds(old.connectTimeoutSeconds)) → \(seconds(new.connectTimeoutSeconds))",
                 old.connectTimeoutSeconds != new.connectTimeoutSeconds),
                ("response-timeout \(seconds(old.responseTimeoutSeconds)) → \(seconds(new.responseTimeoutSeconds))",
                 old.responseTimeoutSeconds != new.responseTimeoutSeconds),
            ]
            settings = fields.filter(\.1).map(\.0)
            func endpoint(_ m: PoolMember) -> String { m.address.isV4 ? "\(m.address):\(m.port)" : "[\(m.address)]:\(m.port)" }
            let before = Dictionary(old.members.map { (endpoint($0), $0) }, uniquingKeysWith: { a, _ in a })
            let after = Set(new.members.map(endpoint))
            realsRemoved = old.members.map(endpoint).filter { !after.contains($0) }
            for member in new.members {
                let key = endpoint(member)
                guard let was = before[key] else { realsAdded.append("\(key) weight \(member.weight)"); continue }
                if was.weight != member.weight {
                    let note = member.weight == 0 ? " (draining)" : was.weight == 0 ? " (back in rotation)" : ""
                    realsChanged.append("\(key) weight \(was.weight) → \(member.weight)\(note)")
                }
            }
        }

        public var isEmpty: Bool { settings.isEmpty && realsAdded.isEmpty && realsRemoved.isEmpty && realsChanged.isEmpty }
    }

    /// For a service being added: one line per pool and a count of the rules.
    static func l7Lines(_ service: VirtualService) -> [String] {
        guard let l7 = service.l7 else { return [] }
        var out = l7.pools.map { pool -> String in
            let reals = pool.members.count == 1 ? "1 real" : "\(pool.members.count) reals"
            return "+ service \(service.name): pool \(pool.name) \(pool.scheduler.rawValue), \(reals)"
        }
        if !l7.rules.isEmpty { out.append("+ service \(service.name): \(l7.rules.count == 1 ? "1 rule" : "\(l7.rules.count) rules")") }
        if let pool = l7.defaultPool { out.append("+ service \(service.name): default-pool \(pool)") }
        return out
    }
}
