import UsherCore

/// BIRD 2's whole config for one balancer, rendered from its `bgp:` settings and the VIPs to
/// announce now: a pure function, so that the same inputs always give the same bytes and the
/// daemon can tell a change by comparing texts.
///
/// The VIPs are static blackhole routes of the `usher_vips4`/`usher_vips6` protocols (BIRD
/// never installs them: it has no kernel protocol here); each BGP session exports only the
/// routes of its family's protocol, with this balancer (or `next-hop:`) as next hop, and
/// imports nothing. BFD, when on, takes a session down after three missed intervals.
public enum BirdConfig {
    public static let staticV4 = "usher_vips4"
    public static let staticV6 = "usher_vips6"

    /// bird's name for the session with neighbor `index` (from 0) of `neighbors:`.
    public static func peerName(_ index: Int) -> String { "usher_peer\(index + 1)" }

    public static func render(_ settings: BGPSettings, announce vips: [IPAddress]) -> String {
        var lines = [
            "# Rendered by usher from the bgp: section of its config. Do not edit: the daemon rewrites",
            "# it and runs `birdc configure` whenever the VIPs it announces change.",
            "router id \(settings.routerID);",
            "# Dates and times in full, for the daemon's reading of `show protocols`.",
            "timeformat protocol iso long;",
            "",
            "protocol device {",
            "}",
            "",
        ]
        if settings.bfd {
            lines += [
                "protocol bfd usher_bfd {",
                "  interface \"*\" {",
                "    min rx interval \(settings.bfdIntervalMilliseconds) ms;",
                "    min tx interval \(settings.bfdIntervalMilliseconds) ms;",
                "    multiplier 3;",
                "  };",
                "}",
                "",
            ]
        }
        for (name, family, v4) in [(staticV4, "ipv4", true), (staticV6, "ipv6", false)] {
            lines.append("protocol static \(name) {")
            lines.append("  \(family);")
            for vip in vips where vip.isV4 == v4 {
                lines.append("  route \(vip)/\(v4 ? 32 : 128) blackhole;")
            }
            lines += ["}", ""]
        }
        for (i, neighbor) in settings.neighbors.enumerated() {
            let v4 = neighbor.address.isV4
            let nextHop = settings.nextHop.flatMap { $0.isV4 == v4 ? "next hop address \($0);" : nil } ?? "next hop self;"
            lines += [
                "protocol bgp \(peerName(i)) {",
                "  local as \(settings.localAS);",
                "  neighbor \(neighbor.address) as \(neighbor.remoteAS);",
                "  hold time \(settings.holdTime);",
                "  connect retry time 1;",
                "  error wait time 1, 10;",
            ]
            if settings.bfd { lines.append("  bfd on;") }
            lines += [
                "  \(v4 ? "ipv4" : "ipv6") {",
                "    import none;",
                "    export where proto = \"\(v4 ? staticV4 : staticV6)\";",
                "    \(nextHop)",
                "  };",
                "}",
                "",
            ]
        }
        return lines.joined(separator: "\n")
    }
}
