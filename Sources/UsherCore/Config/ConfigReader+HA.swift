import Yams

/// The `ha:` section: the VRRP settings of an active/passive pair (see `HASettings`).
extension ConfigReader {
    static let haFields = ["interface", "virtual-router-id", "priority", "peers", "advert-interval", "preempt", "addresses"]

    /// The pair's settings, or nil when a field is missing or unreadable (each is reported).
    mutating func readHASettings(_ node: Node, at path: FieldPath) -> HASettings? {
        guard let fields = mapping(node, at: path, what: "the HA settings", fields: Self.haFields,
                                   hint: "write `interface: eth0`, `virtual-router-id: 51` and `peers: [198.51.100.2, 198.51.100.5]` under it")
        else { return nil }
        require([
            ("interface", "add `interface: eth0`, the interface on the router's segment that holds the VIPs"),
            ("virtual-router-id", "add `virtual-router-id: 51`, the same on both balancers and unique on the segment"),
            ("peers", "add `peers: [198.51.100.2, 198.51.100.5]`, the addresses of both balancers on that segment"),
        ], in: fields, at: path, what: "the HA settings")
        var ok = fields["interface"] != nil && fields["virtual-router-id"] != nil && fields["peers"] != nil
        let interface = fields["interface"].flatMap {
            scalar($0, at: path.key("interface"), what: "an interface name", hint: "write the name shown by `ip link`, e.g. eth0")
        }
        var routerID = 0
        if let node = fields["virtual-router-id"] {
            let value = integer(node, at: path.key("virtual-router-id"), what: "virtual-router-id", hint: ConfigValidator.haRouterIDHint)
            if let value { routerID = value } else { ok = false }
        }
        var priority = HASettings.defaultPriority
        if let node = fields["priority"] {
            let value = integer(node, at: path.key("priority"), what: "priority", hint: ConfigValidator.haPriorityHint)
            if let value { priority = value } else { ok = false }
        }
        var peers: [IPAddress] = []
        if let node = fields["peers"] {
            let read = items(node, at: path.key("peers"), what: "peer addresses",
                             hint: "write `peers: [198.51.100.2, 198.51.100.5]` or one `- 198.51.100.5` per line") {
                $0.address($1, at: $2, what: "a peer address", example: "198.51.100.5")
            }
            if let read { peers = read } else { ok = false }
        }
        var interval = HASettings.defaultAdvertInterval
        if let node = fields["advert-interval"] {
            if let value = duration(node, at: path.key("advert-interval"), what: "advert-interval") { interval = value } else { ok = false }
        }
        var preempt = false
        if let node = fields["preempt"] {
            if let value = boolean(node, at: path.key("preempt"), what: "preempt") { preempt = value } else { ok = false }
        }
        var addresses: [IPPrefix] = []
        if let node = fields["addresses"] {
            let read = items(node, at: path.key("addresses"), what: "addresses",
                             hint: "write `addresses: [198.51.100.6/25]`, each address with the prefix length of its segment") {
                $0.prefix($1, at: $2, example: "198.51.100.6/25")
            }
            if let read { addresses = read } else { ok = false }
        }
        guard ok, let interface else { return nil }
        return HASettings(interface: interface, virtualRouterID: routerID, priority: priority, peers: peers,
                          advertInterval: interval, preempt: preempt, addresses: addresses)
    }
}
