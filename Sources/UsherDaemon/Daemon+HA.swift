import UsherHA

extension Daemon {
    /// keepalived said something new of this balancer's role: written to daemon.json for
    /// `usher status`.
    public func haChanged(_ ha: HAStatus) {
        // Each report comes in a task of its own: an older one arriving late is dropped.
        if let current = status.ha, current.since > ha.since { return }
        status.ha = ha
        do {
            try status.save(in: controller.stateDirectory)
        } catch {
            logger.error("cannot write the daemon's status", metadata: ["error": "\(error)"])
        }
    }
}
