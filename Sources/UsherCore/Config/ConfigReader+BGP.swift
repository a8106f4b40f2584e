import Yams

/// The `bgp:` section (Docs/CONFIG.md): the VIPs announced to the routers over BGP.
extension ConfigReader {
    static let bgpFields = ["local-as", "router-id", "neighbors", "hold-time", "bfd", "bfd-interval", "announce", "next-hop"]
    static let bgpNeighborFields = ["address", "as"]
    static let bgpHint = "write `local-as: 65001`, `router-id: 192.0.2.11` and `neighbors: [{address: 192.0.2.1, as: 65000}]` under it"
    static let asHint = "use an AS number from 1 to 4294967294, e.g. 65001 (64512-65534 are private)"

    /// The BGP settings, or nil when a field is unreadable (each problem is reported).
    mutating func readBGP(_ node: Node, at path: FieldPath) -> BGPSettings? {
        guard let fields = mapping(node, at: path, what: "the BGP settings", fields: Self.bgpFields, hint: Self.bgpHint) else {
            return nil
        }
        require([
            ("local-as", "add `local-as: 65001`, this balancer's AS number"),
            ("router-id", "add `router-id: 192.0.2.11`, an IPv4 address of this balancer"),
            ("neighbors", "add `neighbors:` with `- address: 192.0.2.1` and `as: 65000` for each router"),
        ], in: fields, at: path, what: "the BGP settings")
        var ok = fields["local-as"] != nil && fields["router-id"] != nil && fields["neighbors"] != nil
        let localAS = fields["local-as"].flatMap { asNumber($0, at: path.key("local-as"), what: "local-as") }
        if fields["local-as"] != nil, localAS == nil { ok = false }
        var routerID: IPAddress?
        if let node = fields["router-id"] {
            routerID = address(node, at: path.key("router-id"), what: "a router id", example: "192.0.2.11")
            if let id = routerID, !id.isV4 {
                report(path.key("router-id"), at: node.mark, "router id \(id) is an IPv6 address; BGP identifiers are IPv4-shaped",
                       hint: "write an IPv4 address of this balancer, e.g. 192.0.2.11 (also when it peers over IPv6)")
                routerID = nil
            }
            if routerID == nil { ok = false }
        }
        var neighbors: [BGPNeighbor] = []
        if let node = fields["neighbors"] {
            let items = list(node, at: path.key("neighbors"), what: "BGP neighbours",
                             hint: "write one `- address: 192.0.2.1` with `as: 65000` per router")
            if items == nil { ok = false }
            for (k, item) in (items ?? []).enumerated() {
                if let neighbor = readBGPNeighbor(item, at: path.key("neighbors").index(k)) { neighbors.append(neighbor) } else { ok = false }
            }
        }
        var holdTime = BGPSettings.defaultHoldTime
        if let node = fields["hold-time"] {
            let hint = "use 3s to 65535s; BFD (on by default) notices a dead balancer far sooner"
            if let seconds = duration(node, at: path.key("hold-time"), what: "hold-time") {
                if seconds.rounded() == seconds, seconds >= Double(BGPSettings.holdTimes.lowerBound),
                   seconds <= Double(BGPSettings.holdTimes.upperBound) {
                    holdTime = UInt16(seconds)
                } else {
                    report(path.key("hold-time"), at: node.mark, "hold-time \(ConfigValidator.describeSeconds(seconds)) is out of range", hint: hint)
                    ok = false
                }
            } else { ok = false }
        }
        var bfd = true
        if let node = fields["bfd"] {
            if let value = boolean(node, at: path.key("bfd"), what: "bfd") { bfd = value } else { ok = false }
        }
        var bfdInterval = BGPSettings.defaultBFDIntervalMilliseconds
        if let node = fields["bfd-interval"] {
            if let ms = milliseconds(node, at: path.key("bfd-interval"), what: "bfd-interval", in: BGPSettings.bfdIntervals,
                                     hint: "use 10ms to 1s, e.g. 100ms (a death is noticed after three intervals)") {
                bfdInterval = ms
            } else { ok = false }
        }
        var announce: [IPAddress]?
        if let node = fields["announce"], !Self.isNull(node) {
            let items = list(node, at: path.key("announce"), what: "VIPs",
                             hint: "write `announce: [198.51.100.10]`, or leave it out to announce every service's VIP")
            if items == nil { ok = false }
            announce = []
            for (k, item) in (items ?? []).enumerated() {
                if let vip = address(item, at: path.key("announce").index(k), what: "a VIP", example: "198.51.100.10") {
                    announce?.append(vip)
                } else { ok = false }
            }
        }
        var nextHop: IPAddress?
        if let node = fields["next-hop"], !Self.isNull(node) {
            nextHop = address(node, at: path.key("next-hop"), what: "a next hop", example: "192.0.2.11")
            if nextHop == nil { ok = false }
        }
        guard ok, let localAS, let routerID else { return nil }
        return BGPSettings(localAS: localAS, routerID: routerID, neighbors: neighbors, holdTime: holdTime, bfd: bfd,
                           bfdIntervalMilliseconds: bfdInterval, announce: announce, nextHop: nextHop)
    }

    private mutating func readBGPNeighbor(_ node: Node, at path: FieldPath) -> BGPNeighbor? {
        guard let fields = mapping(node, at: path, what: "a BGP neighbour", fields: Self.bgpNeighborFields,
                                   hint: "write `- address: 192.0.2.1` and `as: 65000` (the router's AS)") else { return nil }
        require([
            ("address", "add `address: 192.0.2.1`, the router's address on the link"),
            ("as", "add `as: 65000`, the router's AS number"),
        ], in: fields, at: path, what: "a BGP neighbour")
        let address = fields["address"].flatMap { self.address($0, at: path.key("address"), what: "a neighbour address", example: "192.0.2.1") }
        let remoteAS = fields["as"].flatMap { asNumber($0, at: path.key("as"), what: "as") }
        guard let address, let remoteAS else { return nil }
        return BGPNeighbor(address: address, remoteAS: remoteAS)
    }

    private mutating func asNumber(_ node: Node, at path: FieldPath, what: String) -> UInt32? {
        guard let value = integer(node, at: path, what: what, hint: Self.asHint) else { return nil }
        guard value >= Int(BGPSettings.localASes.lowerBound), value <= Int(BGPSettings.localASes.upperBound) else {
            report(path, at: node.mark, "\(what) \(value) is out of range", hint: Self.asHint)
            return nil
        }
        return UInt32(value)
    }
}
