import Foundation
import Logging
import UsherControl
import UsherCore
import UsherProxy

/// The daemon's state and the one place that changes it: the config file it serves, what the
/// health checks found (`RuntimeState`, saved in the state directory), and every apply it makes
/// through the `Controller` — the same path as the CLI's.
public actor Daemon {
    public let configPath: String
    public nonisolated let controller: Controller
    let engine: (any HealthChecking)?
    let proxy: ProxyServer
    let logger: Logger
    /// Recent events and their sinks (syslog, alerts, the status page).
    public nonisolated let events: EventLog
    private let lock: DaemonLock
    var status: DaemonStatus
    private var runtime: [HealthTarget: RuntimeState.Entry] = [:]
    /// The saved config as last seen (the CLI may change it while the daemon runs).
    private var config = BalancerConfig()
    private var configStamp: FileStamp?
    private var applyPending = false
    private var stepTask: Task<Void, Never>?
    private var savedSnapshot: [HealthTarget: HealthStatus] = [:]
    /// Each service's (and L7 pool's) last published state: up, degraded or down.
    private var serviceStates: [ServiceKey: String] = [:]

    public init(configPath: String, controller: Controller, engine: (any HealthChecking)?, proxy: ProxyServer,
                logger: Logger, events: EventLog = EventLog()) throws {
        self.events = events
        self.lock = try DaemonLock(stateDirectory: controller.stateDirectory)
        self.configPath = configPath
        self.controller = controller
        self.engine = engine
        self.proxy = proxy
        self.logger = logger
        self.status = DaemonStatus(pid: getpid(), configPath: configPath, startedAt: Date())
    }

    // MARK: Start and reload

    /// Loads the file and applies it over the running tables (a diff: what did not change is not
    /// written, so a restarted daemon takes over without losing a packet), with the health each
    /// real had when the last daemon stopped; then starts the checks from those states.
    public func start() throws {
        let (saved, problem) = controller.runtimeStore.load()
        if let problem { logger.warning("\(problem)") }
        runtime = saved.byTarget
        let file = try ConfigLoader.loadChecked(path: configPath)
        for warning in TLSMaterialCheck.warnings(file) { logger.warning("\(warning)") }
        let diff = try controller.replace(with: file, dryRun: false)
        logger.notice("applied \(configPath)", metadata: ["changes": "\(diff.isEmpty ? "none" : diff.lines.joined(separator: "; "))"])
        events.publish(DaemonEvent(kind: .apply, severity: .notice,
                                   message: "applied \(configPath): \(DaemonEvent.summary(diff.lines))"))
        try refreshConfig(force: true)
        try status.save(in: controller.stateDirectory)
    }

    /// SIGHUP or `usher reload`: reads the file again and applies it; a file with any error
    /// changes nothing (each error is logged with file:line:col: field). The proxy follows.
    @discardableResult
    public func reload() async -> DaemonStatus.Reload {
        status.generation += 1
        var outcome = DaemonStatus.Reload(at: Date(), ok: true)
        do {
            let file = try ConfigLoader.loadChecked(path: configPath)
            let diff = try controller.replace(with: file, dryRun: false)
            outcome.changes = diff.lines
            try refreshConfig(force: true)
            do {
                try await proxy.reload(services: file.services)
            } catch {
                // The tables follow the new file already; only the L7 services kept their settings.
                outcome.ok = false
                outcome.errors = ["the L4 tables follow \(configPath), but the proxy kept its settings: \(error)"]
                logger.error("reload: the proxy refused the new settings and keeps the old ones; the L4 tables follow the file",
                             metadata: ["error": "\(error)"])
                status.lastReload = outcome
                publishReload(outcome)
                try? status.save(in: controller.stateDirectory)
                return outcome
            }
            logger.notice("reloaded \(configPath)", metadata: ["changes": "\(diff.isEmpty ? "none" : diff.lines.joined(separator: "; "))"])
        } catch let errors as ConfigErrors {
            outcome.ok = false
            outcome.errors = errors.errors.map(\.description)
            for error in outcome.errors { logger.error("\(error)") }
            logger.error("reload refused: the running config stays", metadata: ["file": "\(configPath)"])
        } catch {
            outcome.ok = false
            outcome.errors = ["\(error)"]
            logger.error("reload failed: the running config stays", metadata: ["file": "\(configPath)", "error": "\(error)"])
        }
        status.lastReload = outcome
        publishReload(outcome)
        do {
            try status.save(in: controller.stateDirectory)
        } catch {
            logger.error("cannot write the daemon's status", metadata: ["error": "\(error)"])
        }
        return outcome
    }

    /// Reads the saved config again if it changed (or when `force`), and checks what it lists.
    func refreshConfig(force: Bool = false) throws {
        let stamp = FileStamp(path: controller.store.configPath)
        guard force || stamp != configStamp else { return }
        configStamp = stamp
        config = try controller.currentConfig()
        let checks = config.layer4Checks
        // Forget what is known of reals no longer checked; keep the rest.
        runtime = runtime.filter { checks[$0.key] != nil }
        engine?.update(checks, initial: runtime.mapValues(\.status), scope: { $0.pool == nil })
    }

    /// Called every second: notices changes the CLI made to the saved config.
    func watchSavedConfig() {
        do {
            try refreshConfig()
        } catch {
            logger.error("cannot read the saved config", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Health

    /// A real changed state: record it (a real coming back starts its slow start) and apply.
    public func handle(_ transition: HealthTransition) {
        let target = transition.target
        events.publish(DaemonEvent(transition))
        publishServiceState(of: target, now: transition.to)
        guard target.pool == nil else { return } // pool members: the proxy reads the engine itself
        var entry = runtime[target] ?? RuntimeState.Entry(target: target, status: HealthStatus(state: transition.to, since: transition.at))
        entry.status.state = transition.to
        entry.status.since = transition.at
        entry.status.lastError = transition.to == .down ? transition.reason : nil
        let service = config.service(named: target.service)
        entry.rampStart = transition.to == .up && (service?.slowStartSeconds ?? 0) > 0 ? transition.at : nil
        runtime[target] = entry
        scheduleApply()
    }

    /// Applies soon, once for every transition that arrives meanwhile.
    private func scheduleApply() {
        guard !applyPending else { return }
        applyPending = true
        Task {
            try? await Task.sleep(for: .milliseconds(20))
            self.applyNow()
        }
    }

    private func applyNow() {
        applyPending = false
        mergeSnapshot()
        let now = Date()
        // A finished slow start leaves no trace.
        for (target, entry) in runtime {
            if let start = entry.rampStart, let service = config.service(named: target.service),
               now.timeIntervalSince(start) >= service.slowStartSeconds {
                runtime[target]?.rampStart = nil
            }
        }
        do {
            let next = try controller.reapply(runtime: RuntimeState(runtime))
            scheduleStep(at: next)
        } catch {
            logger.error("cannot apply a health change; trying again in 1 s", metadata: ["error": "\(error)"])
            events.publish(DaemonEvent(kind: .error, severity: .error,
                                       message: "cannot apply a health change (trying again in 1 s): \(error)"))
            Task {
                try? await Task.sleep(for: .seconds(1))
                self.scheduleApply()
            }
        }
    }

    /// The next slow-start step, if some real is ramping up.
    private func scheduleStep(at date: Date?) {
        stepTask?.cancel()
        guard let date else { return }
        stepTask = Task {
            let delay = max(0, date.timeIntervalSinceNow)
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 1))
            guard !Task.isCancelled else { return }
            self.scheduleApply()
        }
    }

    /// Copies the engine's last results (for `usher real list`) into the runtime state. A real's
    /// state and since stay the runtime's: they change with `handle(_:)`, whose apply writes the
    /// tables before health.json, so that a reader never sees a real down that the tables still
    /// send new flows to (the engine records a transition a moment before the daemon hears it).
    private func mergeSnapshot() {
        guard let engine else { return }
        for (target, status) in engine.snapshot() where target.pool == nil {
            if var entry = runtime[target] {
                let (state, since) = (entry.status.state, entry.status.since)
                entry.status = status
                entry.status.state = state
                entry.status.since = since
                runtime[target] = entry
            } else {
                runtime[target] = RuntimeState.Entry(target: target, status: status)
            }
        }
    }

    /// Called every second or two: saves the checks' latest results when they changed.
    func saveResults() {
        // A transition waiting for its apply is saved by that apply, after the tables: saved
        // now, health.json would say a real is down while the tables still give it new flows.
        guard let engine, !applyPending else { return }
        let snapshot = engine.snapshot()
        guard snapshot != savedSnapshot else { return }
        savedSnapshot = snapshot
        mergeSnapshot()
        do {
            try controller.saveRuntime(RuntimeState(runtime))
        } catch {
            logger.warning("cannot save the health states", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Next hops

    /// A neighbour, route or link changed: every resolved real is looked at again (any event
    /// may move any real, e.g. a gateway's new MAC), and those that moved are rewritten.
    func followNextHops() {
        do {
            for change in try controller.refreshNextHops() {
                logger.notice("next hop changed", metadata: [
                    "real": "\(change.address)", "service_id": "\(change.serviceID)",
                    "old": "\(change.old.mac) (ifindex \(change.old.ifindex))", "new": "\(change.new)"])
            }
        } catch {
            logger.error("cannot follow a next-hop change", metadata: ["error": "\(error)"])
        }
    }

    /// What the API and the status page show: the config served, every checked real's health
    /// now, and the daemon's own status.
    public func view() -> DaemonView {
        mergeSnapshot()
        return DaemonView(config: config, health: runtime, status: status)
    }

    /// A runtime change to a real from the API: one apply through the controller (as `usher
    /// real …` makes it), logged and published with what changed.
    public func change(real address: IPAddress, of service: String, _ change: RealChange, by who: String) throws -> RealView {
        let diff = try controller.change(real: address, of: service, change)
        try refreshConfig(force: true)
        let what = diff.isEmpty ? "no changes" : diff.lines.joined(separator: "; ")
        logger.notice("\(address) of \(service): \(change)", metadata: ["by": "\(who)", "changes": "\(what)"])
        events.publish(DaemonEvent(kind: .apply, severity: .notice, service: service, real: "\(address)",
                                   message: "\(address) of \(service): \(change), asked by \(who): \(what)"))
        mergeSnapshot()
        guard let s = config.service(named: service), let real = s.reals.first(where: { $0.address == address }) else {
            throw RealLookupError.unknownReal(address, service: service, known: [])
        }
        return RealView(service: s, real, health: runtime)
    }

    /// Records a service's state; returns the one before ("up" for a service not seen yet).
    func recordServiceState(_ state: String, for key: ServiceKey) -> String {
        defer { serviceStates[key] = state }
        return serviceStates[key] ?? "up"
    }

    /// Returns once the actor runs this: what the watchdog waits on.
    func isResponsive() {}

    /// At shutdown: the last results, for the next daemon to start from.
    func stop() {
        stepTask?.cancel()
        saveResults()
    }
}
