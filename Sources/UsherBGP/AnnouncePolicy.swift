import UsherControl
import UsherCore

/// Which VIPs this balancer announces: of those `bgp:` names (every service's VIP by default),
/// each one that some service serves now, i.e. whose state is not down (a real, or a sorry
/// server, takes new flows). A VIP with every service down is withdrawn, so the routers send
/// its flows to the balancers that can serve them.
public enum AnnouncePolicy {
    public static func vips(_ config: BalancerConfig, reals: (VirtualService) -> [RealView]) -> [IPAddress] {
        let serving = Set(config.services.filter { ServiceState(reals: reals($0)) != .down }.map(\.vip))
        return candidates(config).filter { serving.contains($0) }
    }

    /// Every VIP this balancer may announce: those `bgp:` names, of a family it has a neighbor of.
    public static func candidates(_ config: BalancerConfig) -> [IPAddress] {
        guard let bgp = config.bgp else { return [] }
        let families = Set(bgp.neighbors.map(\.address.isV4))
        return bgp.candidateVIPs(of: config.services).filter { families.contains($0.isV4) }
    }
}
