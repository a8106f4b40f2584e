extension VirtualService {
    /// The checked reals of an L4 service with the check of each (the real's own, else the
    /// service's), keyed as the health engine knows them: the real's traffic port is
    /// `real.port ?? port` (0 for a service on every port). Empty for http/https services, whose
    /// pool members the proxy registers itself.
    public var healthChecks: [HealthTarget: HealthCheck] {
        guard mode.isLayer4 else { return [:] }
        var out: [HealthTarget: HealthCheck] = [:]
        for real in reals {
            guard let check = healthCheck(of: real) else { continue }
            out[healthTarget(of: real)] = check
        }
        return out
    }

    /// The target `real` is checked as: this service, its address, its traffic port.
    public func healthTarget(of real: RealServer) -> HealthTarget {
        HealthTarget(service: name, address: real.address, port: real.port ?? port)
    }
}
