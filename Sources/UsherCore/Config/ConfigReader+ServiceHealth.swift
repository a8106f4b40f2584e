import Yams

/// The health fields of an L4 service (`health-check`, `on-down`, `slow-start`) and of its reals
/// (`backup`, `disabled`, and a `health-check` override merged over the service's).
extension ConfigReader {
    struct ServiceHealth {
        var check: HealthCheck?
        var onDown = OnDownAction.keep
        var slowStartSeconds = 0.0
    }

    mutating func readServiceHealth(_ fields: [String: Node], at path: FieldPath, ok: inout Bool) -> ServiceHealth {
        var health = ServiceHealth()
        if let node = fields["health-check"], !Self.isNull(node) {
            health.check = readHealthCheck(node, at: path.key("health-check"))
        }
        if let node = fields["on-down"] {
            let choices = OnDownAction.allCases.map { ($0.rawValue, $0) }
            if let action = choice(node, at: path.key("on-down"), what: "on-down action", choices: choices,
                                   synonyms: ["drop": "reset", "flush": "reset", "clear": "reset", "stay": "keep"]) {
                health.onDown = action
            } else {
                ok = false
            }
        }
        if let node = fields["slow-start"] {
            if let seconds = duration(node, at: path.key("slow-start"), what: "slow-start") {
                health.slowStartSeconds = seconds
            } else {
                ok = false
            }
        }
        return health
    }

    mutating func readRealHealth(_ fields: [String: Node], into real: inout RealServer, at path: FieldPath,
                                 serviceCheck: HealthCheck?, ok: inout Bool) {
        for key in ["backup", "disabled"] {
            guard let node = fields[key] else { continue }
            guard let value = boolean(node, at: path.key(key), what: key) else {
                ok = false
                continue
            }
            if key == "backup" { real.backup = value } else { real.disabled = value }
        }
        if let node = fields["health-check"], !Self.isNull(node) {
            real.healthCheck = readHealthCheck(node, at: path.key("health-check"), over: serviceCheck, ofReal: true)
        }
    }
}
