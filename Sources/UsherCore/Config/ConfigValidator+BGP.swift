/// The rules of the `bgp:` section: neighbours listed once, each VIP to announce a service's,
/// and a next hop of the family of the sessions it is given on.
extension ConfigValidator {
    static func checkBGP(_ bgp: BGPSettings, services: [VirtualService], into out: inout [ValidationIssue]) {
        let path = FieldPath.root.key("bgp")
        if bgp.neighbors.isEmpty {
            out.append(ValidationIssue(path.key("neighbors"), "no neighbour given: BGP needs at least one router to announce to",
                                       hint: "list each router as `- address: 192.0.2.1` with `as: 65000`"))
        }
        var seen: [IPAddress: Int] = [:]
        for (i, neighbor) in bgp.neighbors.enumerated() {
            if let first = seen[neighbor.address] {
                out.append(ValidationIssue(path.key("neighbors").index(i).key("address"), "neighbour \(neighbor.address) is listed twice; first at",
                                           related: path.key("neighbors").index(first).key("address")))
            } else { seen[neighbor.address] = i }
        }
        let vips = Set(services.map(\.vip))
        var announced: [IPAddress: Int] = [:]
        for (i, vip) in (bgp.announce ?? []).enumerated() {
            let at = path.key("announce").index(i)
            if !vips.contains(vip) {
                let known = services.map { "\($0.vip) (\($0.name))" }.prefix(5).joined(separator: ", ")
                out.append(ValidationIssue(at, "\(vip) is no service's VIP",
                                           hint: known.isEmpty ? "add a service with this VIP, or remove it" : "announce a VIP of a service: \(known)"))
            } else if let first = announced[vip] {
                out.append(ValidationIssue(at, "\(vip) is listed twice; first at", related: path.key("announce").index(first)))
            } else if !bgp.neighbors.isEmpty, !bgp.neighbors.contains(where: { $0.address.isV4 == vip.isV4 }) {
                out.append(ValidationIssue(at, "\(vip) is an \(vip.familyName) VIP but no neighbour is \(vip.familyName): nothing would carry it",
                                           hint: "add a neighbour of that family, or remove the VIP"))
            }
            if announced[vip] == nil { announced[vip] = i }
        }
        if let nextHop = bgp.nextHop, !bgp.neighbors.isEmpty, !bgp.neighbors.contains(where: { $0.address.isV4 == nextHop.isV4 }) {
            out.append(ValidationIssue(path.key("next-hop"), "next hop \(nextHop) is \(nextHop.familyName) but every neighbour is not",
                                       hint: "give a next hop of the neighbours' family, or leave it out (each session's own address)"))
        }
    }
}
