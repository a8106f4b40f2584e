import UsherBGP

/// The BGP families: each session's state and since when, each VIP's announcement.
extension MetricsExporter {
    func writeBGP(_ bgp: BGPStatus, into text: inout PrometheusText) {
        text.family("usher_bgp_session_up", .gauge, "1 while the BGP session with a neighbor is Established, else 0.")
        for s in bgp.sessions {
            text.sample("usher_bgp_session_up", ["neighbor": s.neighbor, "peer_as": "\(s.remoteAS)", "session": s.name],
                        s.established ? 1 : 0)
        }
        text.family("usher_bgp_session_state_since_timestamp_seconds", .gauge,
                    "When each BGP session entered its state (Established or not), in seconds since the epoch.")
        for s in bgp.sessions {
            guard let since = s.since else { continue }
            text.sample("usher_bgp_session_state_since_timestamp_seconds",
                        ["neighbor": s.neighbor, "peer_as": "\(s.remoteAS)", "session": s.name, "state": s.state],
                        since.timeIntervalSince1970.rounded())
        }
        text.family("usher_bgp_vip_announced", .gauge,
                    "1 while the VIP is announced (a real of one of its services is up), 0 while it is withdrawn.")
        for v in bgp.vips { text.sample("usher_bgp_vip_announced", ["vip": v.vip], v.announced ? 1 : 0) }
    }
}
