import Foundation

/// The kernel's way of doing part 3's job, as kube-proxy's nftables mode sets it up: a map of
/// service addresses to service chains, each picking an endpoint chain with `numgen random`,
/// each endpoint chain a DNAT to one real server. Conntrack keeps every later packet of a flow
/// on the real its first packet got. No filter rules and no masquerade: the least of it.
enum LabNftables {
    static let table = "usher_bench"

    static func ruleset(vip: String, port: UInt16, reals: [String]) -> String {
        let endpoints = reals.enumerated().map { "\($0.offset) : goto ep-\($0.offset + 1)" }.joined(separator: ", ")
        var text = """
            table ip \(table) {
            \tmap service-ips {
            \t\ttype ipv4_addr . inet_proto . inet_service : verdict
            \t\telements = { \(vip) . tcp . \(port) : goto svc-web }
            \t}
            \tchain prerouting {
            \t\ttype nat hook prerouting priority dstnat; policy accept;
            \t\tip daddr . meta l4proto . th dport vmap @service-ips
            \t}
            \tchain svc-web {
            \t\tnumgen random mod \(reals.count) vmap { \(endpoints) }
            \t}

            """
        for (i, real) in reals.enumerated() {
            text += "\tchain ep-\(i + 1) {\n\t\tmeta l4proto tcp dnat to \(real):\(port)\n\t}\n"
        }
        return text + "}\n"
    }

    /// Installs `nft` with apt-get when it is missing (Debian's package `nftables`).
    static func ensureInstalled() throws {
        if LabShell.which("nft") != nil { return }
        Progress.say("lab-pps: nft is missing; installing Debian's nftables package")
        _ = try LabShell.run(["apt-get", "-y", "-q", "install", "nftables"], timeout: 600)
        guard LabShell.which("nft") != nil else {
            throw LabShell.Failure(description: "nft is still missing after apt-get install nftables")
        }
    }
}
