import UsherBGP

extension Daemon {
    /// bird's sessions or the announced VIPs changed: written to daemon.json for `usher status`,
    /// the API and /metrics (only on a change: the BGP service asks bird every second).
    public func bgpChanged(_ bgp: BGPStatus) {
        guard status.bgp != bgp else { return }
        status.bgp = bgp
        do {
            try status.save(in: controller.stateDirectory)
        } catch {
            logger.error("cannot write the daemon's status", metadata: ["error": "\(error)"])
        }
    }
}
