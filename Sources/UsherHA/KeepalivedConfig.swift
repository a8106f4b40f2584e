import UsherCore

/// keepalived's config for one balancer of a pair, rendered from the `ha:` section and the
/// services: one VRRPv3 instance, unicast to the peers, starting as a backup on both balancers
/// (so that `nopreempt` holds), whose VIPs are every VIP, SNAT address and `ha.addresses`.
/// Addresses of the advertisements' family are advertised (`virtual_ipaddress`); those of the
/// other family move with them (`virtual_ipaddress_excluded`). keepalived sends gratuitous ARP
/// and unsolicited neighbour advertisements for both when it takes over.
public enum KeepalivedConfig {
    /// The VRRP instance's name, as keepalived reports it in its notify FIFO.
    public static let instance = "usher"
    /// SCHED_RR priority of keepalived's VRRP process (keepalived bounds its CPU time per
    /// wake-up with RLIMIT_RTTIME, 10 ms by default, so it cannot starve the host).
    static let realTimePriority = 50

    /// The file's text. `localAddresses`: this host's addresses (left out of the peers);
    /// `notifyFIFO`: where keepalived writes its state changes; `source`: the usher config it
    /// came from (named in the header). Throws when no peer is left, or `config` has no `ha:`.
    public static func render(
        _ config: BalancerConfig, localAddresses: Set<IPAddress>, notifyFIFO: String, source: String
    ) throws(HAError) -> String {
        guard let ha = config.ha else { throw HAError("the config has no `ha:` section") }
        let peers = remotePeers(of: ha, localAddresses: localAddresses)
        guard !peers.isEmpty else { throw HAError.noPeer(ha.peers.map(\.description)) }
        let family = peers[0].isV4
        let addresses = config.haAddresses
        let advertised = addresses.filter { $0.address.isV4 == family }
        let excluded = addresses.filter { $0.address.isV4 != family }
        var lines = [
            "# keepalived's config for usher's active/passive pair, rendered by `usher daemon` from",
            "# \(oneLine(source)) (ha:). Do not edit: the daemon writes it again at every start and reload.",
            "global_defs {",
            "    vrrp_version 3",
            "    vrrp_notify_fifo \(notifyFIFO)",
            "    # Adverts every 100 ms must not wait behind a busy CPU, or the backup takes over",
            "    # from a live master: the VRRP process runs with real-time scheduling.",
            "    vrrp_rt_priority \(realTimePriority)",
            "}",
            "",
            "vrrp_instance \(instance) {",
            "    state BACKUP",
        ]
        if !ha.preempt { lines.append("    nopreempt") }
        lines += [
            "    interface \(ha.interface)",
            "    virtual_router_id \(ha.virtualRouterID)",
            "    priority \(ha.priority)",
            "    advert_int \(centiseconds(ha.advertInterval))",
            "    check_unicast_src",
            "    unicast_peer {",
        ]
        lines += peers.map { "        \($0)" }
        lines.append("    }")
        lines += block("virtual_ipaddress", advertised, interface: ha.interface)
        lines += block("virtual_ipaddress_excluded", excluded, interface: ha.interface)
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The peers that are not this host.
    public static func remotePeers(of ha: HASettings, localAddresses: Set<IPAddress>) -> [IPAddress] {
        ha.peers.filter { !localAddresses.contains($0) }
    }

    private static func block(_ name: String, _ prefixes: [IPPrefix], interface: String) -> [String] {
        guard !prefixes.isEmpty else { return [] }
        return ["    \(name) {"] + prefixes.map { "        \($0) dev \(interface)" } + ["    }"]
    }

    /// `0.1` → `0.10`: the interval in keepalived's notation, exact to 10 ms (VRRPv3's unit).
    static func centiseconds(_ seconds: Double) -> String {
        let total = Int((seconds * 100).rounded())
        let fraction = total % 100
        return "\(total / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// A path on one comment line, whatever it holds.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
