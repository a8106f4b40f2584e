import Foundation

/// The rules of the `ha:` section (VRRP as keepalived runs it: version 3, unicast).
extension ConfigValidator {
    /// VRRP's virtual router ids.
    public static let haRouterIDs: ClosedRange<Int> = 1...255
    /// Priorities a backup-capable router may have (255 is the address owner's, which no
    /// balancer of a pair is: both take the VIPs over).
    public static let haPriorities: ClosedRange<Int> = 1...254
    /// VRRPv3's advertisement interval: 12 bits of centiseconds.
    public static let haAdvertIntervals: ClosedRange<Double> = 0.01...40.95
    static let haRouterIDHint = "use 1 to 255, the same on both balancers of the pair and unique on the segment, e.g. 51"
    static let haPriorityHint = "use 1 to 254; give both balancers the same (the first to start stays active) or the preferred one more"
    static let haIntervalHint = "use 10ms to 40.95s in steps of 10ms; 100ms to 300ms keep a failover under 1 s"

    static func checkHA(_ config: BalancerConfig, into out: inout [ValidationIssue]) {
        guard let ha = config.ha else { return }
        let base = FieldPath.root.key("ha")
        if let problem = interfaceNameProblem(ha.interface) {
            out.append(.init(base.key("interface"), problem, hint: "write the name shown by `ip link`, e.g. eth0"))
        }
        if !haRouterIDs.contains(ha.virtualRouterID) {
            out.append(.init(base.key("virtual-router-id"), "virtual-router-id \(ha.virtualRouterID) is out of range", hint: haRouterIDHint))
        }
        if !haPriorities.contains(ha.priority) {
            out.append(.init(base.key("priority"), "priority \(ha.priority) is out of range", hint: haPriorityHint))
        }
        if let problem = advertIntervalProblem(ha.advertInterval) {
            out.append(.init(base.key("advert-interval"), problem, hint: haIntervalHint))
        }
        checkHAPeers(ha, at: base.key("peers"), into: &out)
        checkHAAddresses(ha, at: base.key("addresses"), into: &out)
        if let family = ha.peers.first?.isV4, ha.peers.allSatisfy({ $0.isV4 == family }),
           !config.haAddresses.contains(where: { $0.address.isV4 == family }) {
            let name = family ? "IPv4" : "IPv6"
            out.append(.init(base.key("peers"), "the pair advertises over \(name) but shares no \(name) VIP or address",
                             hint: "VRRP advertises at least one address of its own family: add a service with an \(name) VIP, " +
                                 "an \(name) prefix under ha.addresses, or give peers of the VIPs' family"))
        }
    }

    /// Why `seconds` cannot be the advertisement interval, if it cannot.
    static func advertIntervalProblem(_ seconds: Double) -> String? {
        if seconds < haAdvertIntervals.lowerBound { return "advert-interval \(describeSeconds(seconds)) is below 10ms" }
        if seconds > haAdvertIntervals.upperBound { return "advert-interval \(describeSeconds(seconds)) is above 40.95s" }
        let centiseconds = seconds * 100
        if abs(centiseconds - centiseconds.rounded()) > 1e-6 {
            return "advert-interval \(describeSeconds(seconds)) is not a whole number of 10ms"
        }
        return nil
    }

    private static func checkHAPeers(_ ha: HASettings, at path: FieldPath, into out: inout [ValidationIssue]) {
        guard let first = ha.peers.first else {
            out.append(.init(path, "no peer is given",
                             hint: "list the other balancer's address on the segment (both may be listed), e.g. [198.51.100.2, 198.51.100.5]"))
            return
        }
        var seen: [IPAddress: Int] = [:]
        for (i, peer) in ha.peers.enumerated() {
            if let problem = addressScopeProblem(peer, role: "a VRRP peer") {
                out.append(.init(path.index(i), problem, hint: "write the balancer's address on the segment, e.g. 198.51.100.5"))
            } else if peer.isV4 != first.isV4 {
                out.append(.init(path.index(i), "peer \(peer) is \(peer.familyName), the first peer \(first.familyName)",
                                 hint: "VRRP advertises over one family: list the peers' addresses of one family"))
            } else if let earlier = seen[peer] {
                out.append(.init(path.index(i), "peer \(peer) is listed twice; first at", hint: "list each peer once",
                                 related: path.index(earlier)))
            } else {
                seen[peer] = i
            }
        }
    }

    private static func checkHAAddresses(_ ha: HASettings, at path: FieldPath, into out: inout [ValidationIssue]) {
        var seen: [IPAddress: Int] = [:]
        for (i, prefix) in ha.addresses.enumerated() {
            if let problem = addressScopeProblem(prefix.address, role: "an address the pair shares") {
                out.append(.init(path.index(i), problem, hint: "write an address of the segment with its length, e.g. 198.51.100.6/25"))
            } else if let earlier = seen[prefix.address] {
                out.append(.init(path.index(i), "address \(prefix.address) is listed twice; first at", hint: "list each address once",
                                 related: path.index(earlier)))
            } else {
                seen[prefix.address] = i
            }
        }
    }
}
