import Foundation
import UsherBPF
import UsherCore

/// The one path by which every front end (the CLI, the daemon, the benchmarks) changes what the
/// balancer does: under the state lock, read the last applied config, change it, validate it,
/// check its interfaces, overlay what the health checks know (`RuntimeOverlay`), write the
/// tables, drop the flows that must not stay, save the config, then attach.
/// Validation, interface checks and next-hop resolution happen before any map is written, so a
/// change that fails leaves the running tables as they were.
public struct Controller: Sendable {
    public let pinDirectory: String
    public let stateDirectory: String
    public var resolver: any NeighborResolving & Sendable
    /// Where warnings of an apply go (the CLI prints them, the daemon logs them).
    public var warn: @Sendable (String) -> Void

    public init(
        pinDirectory: String, stateDirectory: String,
        resolver: any NeighborResolving & Sendable = SystemNeighborResolver(),
        warn: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.pinDirectory = pinDirectory
        self.stateDirectory = stateDirectory
        self.resolver = resolver
        self.warn = warn
    }

    public var store: StateStore { StateStore(directory: stateDirectory) }
    public var runtimeStore: RuntimeStore { RuntimeStore(directory: stateDirectory) }

    /// The last applied config, or an empty one before the first apply.
    public func currentConfig() throws -> BalancerConfig {
        try store.load() ?? BalancerConfig()
    }

    /// Whether maps are pinned under the pin directory (something was applied there).
    public var mapsArePinned: Bool { Dataplane.hasPinnedMaps(in: pinDirectory) }

    /// Opens the pinned maps, creating and pinning them on first use; with `create` false,
    /// fails when nothing is pinned there (for commands that only read or inspect).
    public func dataplane(create: Bool = true) throws -> Dataplane {
        try Dataplane(pinDirectory: pinDirectory, createIfMissing: create)
    }

    /// Applies `change` to the last applied config and makes the data plane follow.
    /// Returns the diff that was applied (empty when nothing changed).
    @discardableResult
    public func update(dryRun: Bool = false, _ change: (inout BalancerConfig) throws -> Void) throws -> ConfigDiff {
        try withRecoveredLock {
            let old = try store.load()
            var new = old ?? BalancerConfig()
            try change(&new)
            let issues = ConfigValidator.validate(new)
            if !issues.isEmpty { throw ConfigErrors(errors: issues) }
            try checkInterfaces(of: new)
            let diff = ConfigDiff(from: old, to: new)
            if dryRun { return diff }
            try commit(new, old: old)
            return diff
        }
    }

    /// Replaces the whole config (declarative apply); `new` has been validated by the loader.
    public func replace(with new: BalancerConfig, dryRun: Bool) throws -> ConfigDiff {
        try update(dryRun: dryRun) { $0 = new }
    }

    /// Writes the saved config again with what the health checks know now (the daemon calls it
    /// after a state change or a slow-start step). Returns when the next slow-start step is due.
    @discardableResult
    public func reapply(runtime: RuntimeState) throws -> Date? {
        try withRecoveredLock {
            // The tables first: whoever reads health.json may rely on the maps already following it.
            let next = try store.load().map { try write($0, runtime: runtime, saving: false) } ?? nil
            try runtimeStore.save(runtime)
            return next
        }
    }

    /// Makes every resolved real follow the kernel's next hop now (after a neighbour or route
    /// change seen from netlink): one map update per real that moved, recorded in the saved
    /// state. Returns what moved, for the log.
    public func refreshNextHops() throws -> [NextHopChange] {
        try withRecoveredLock {
            guard mapsArePinned else { return [] }
            let changes = try dataplane(create: false).refreshNextHops(resolver: resolver)
            if !changes.isEmpty, var state = try loadDataplaneState() {
                state.record(changes)
                try saveDataplaneState(state)
            }
            return changes
        }
    }

    /// Saves the runtime state alone (a check result that changed nothing in the tables).
    public func saveRuntime(_ runtime: RuntimeState) throws {
        try store.withLock { try runtimeStore.save(runtime) }
    }

    private func commit(_ new: BalancerConfig, old: BalancerConfig?) throws {
        let runtime = runtimeStore.load().state
        // An unchanged config is not written again (encoding 100,000 reals costs seconds).
        try write(new, runtime: runtime, saving: new != old)
        try reconcileAttachments(new: new, old: old)
    }

    /// Writes `config` as `runtime` makes it, saves the config (if `saving`) and the state beside
    /// it through the journal (`ApplyJournal`), then drops the flows that must not stay.
    @discardableResult
    private func write(_ config: BalancerConfig, runtime: RuntimeState, saving: Bool) throws -> Date? {
        let overlay = RuntimeOverlay.apply(config, runtime: runtime, now: Date())
        let dp = try dataplane()
        let previous = dp.mapsWereCreated ? nil : try loadDataplaneState()
        let journal = self.journal
        var began = false
        let state = try dp.apply(overlay.config, previous: previous, resolver: resolver) { state, generation in
            try journal.begin(generation: generation, config: saving ? config : nil, state: state, store: store)
            began = true
        }
        for warning in state.warnings { warn(warning) }
        if began {
            try journal.finish()
            DataplaneStateCache.shared.keep(state, at: dataplaneStatePath)
        } else {
            if saving { try store.save(config) }
            var kept = state
            kept.warnings = []
            // Nothing changed in the maps: the file is rewritten only if it says something else.
            if (try? loadDataplaneState()) != kept { try saveDataplaneState(kept) }
        }
        let ids = overlay.resets.compactMap { target -> UInt32? in
            guard let service = config.service(named: target.service) else { return nil }
            return state.realID(service: service.key, address: target.address)
        }
        if !ids.isEmpty { _ = try dp.dropFlows(realIDs: Set(ids)) }
        return overlay.nextStep
    }

    /// Every interface the config lists must exist before anything changes.
    private func checkInterfaces(of config: BalancerConfig) throws {
        let missing = config.interfaces.map(\.name).filter { if_nametoindex($0) == 0 }
        guard missing.isEmpty else {
            let names = missing.map { "\"\($0)\"" }.joined(separator: ", ")
            throw ControlError("no interface \(names) in this network namespace; nothing was changed " +
                "(list them with `ip link`, and fix `interfaces:` in the config)")
        }
    }

    /// Attaches to interfaces the config lists and detaches from those it no longer lists. An
    /// attach that fails puts back what was detached, so the balancer keeps its interfaces. A
    /// balancer of another build (an upgrade) on an interface it keeps is replaced by this
    /// build's, whose tables the control plane reads and writes (`replaceIfAnotherBuild`).
    private func reconcileAttachments(new: BalancerConfig, old: BalancerConfig?) throws {
        let dp = try dataplane()
        let wanted = Set(new.interfaces.map(\.name))
        let attached = try dp.attachments().filter { $0.program == .balancer }
        var detached: [InterfaceConfig] = []
        for interface in old?.interfaces ?? [] where !wanted.contains(interface.name) {
            guard attached.contains(where: { $0.interface == interface.name }) else { continue }
            if try dp.detach(interface: interface.name) { detached.append(interface) }
        }
        let names = Set(attached.map(\.interface))
        for interface in new.interfaces where names.contains(interface.name) {
            _ = try dp.replaceIfAnotherBuild(interface: interface.name)
        }
        for interface in new.interfaces where !names.contains(interface.name) {
            do {
                _ = try dp.attach(interface: interface.name, mode: interface.xdpMode)
            } catch {
                for interface in detached { _ = try? dp.attach(interface: interface.name, mode: interface.xdpMode) }
                throw error
            }
        }
    }

    // MARK: Interrupted applies

    var journal: ApplyJournal { ApplyJournal(directory: stateDirectory) }

    /// Completes or undoes an apply that was killed half-way, if one was, so that the saved
    /// config, dataplane.json and the maps agree again. Every command runs it first (the CLI
    /// through `GlobalOptions.controller()`, the daemon through its first apply). Returns what
    /// was done, for the operator; nil when nothing was pending.
    @discardableResult
    public func recoverInterruptedApply() throws -> String? {
        guard journal.isPending else { return nil }
        return try store.withLock { try recoverLocked() }
    }

    /// `body` under the state lock, after recovering an interrupted apply.
    private func withRecoveredLock<T>(_ body: () throws -> T) throws -> T {
        try store.withLock {
            try recoverLocked()
            return try body()
        }
    }

    /// The maps' running generation tells which side of its switch the apply stopped on: on the
    /// far side (or when it switches nothing) it is rolled forward — its files put in place, then
    /// its config applied again, which writes whatever it had not yet written; on the near side
    /// it is rolled back — its files dropped, then the saved config applied again, which takes
    /// back the shared entries it had added (filter bits, SNAT pools, global knobs).
    @discardableResult
    private func recoverLocked() throws -> String? {
        guard let generation = try journal.pendingGeneration() else { return nil }
        guard mapsArePinned else {
            journal.abandon()
            return nil
        }
        let running = try dataplane(create: false).runningGeneration()
        let runtime = runtimeStore.load().state
        let what: String
        if running == generation {
            let before = try store.load()
            try journal.finish()
            let config = try store.load() ?? BalancerConfig()
            try write(config, runtime: runtime, saving: false)
            try reconcileAttachments(new: config, old: before)
            what = "an interrupted apply was completed (the maps had switched to its tables)"
        } else {
            journal.abandon()
            try write(try store.load() ?? BalancerConfig(), runtime: runtime, saving: false)
            what = "an interrupted apply was rolled back (the maps still ran the saved config)"
        }
        warn(what)
        return what
    }

    // MARK: Ids of services and reals in the maps, kept beside the config.

    private var dataplaneStatePath: String { stateDirectory + "/dataplane.json" }

    public func loadDataplaneState() throws -> DataplaneState? {
        if let kept = DataplaneStateCache.shared.state(at: dataplaneStatePath) { return kept }
        guard let data = FileManager.default.contents(atPath: dataplaneStatePath) else { return nil }
        do {
            let state = try JSONDecoder().decode(DataplaneState.self, from: data)
            DataplaneStateCache.shared.keep(state, at: dataplaneStatePath)
            return state
        } catch {
            throw ControlError("\(dataplaneStatePath) is unreadable (\(error)); remove it and run `usher apply` again")
        }
    }

    private func saveDataplaneState(_ state: DataplaneState) throws {
        try AtomicFile.writeJSON(state, to: dataplaneStatePath)
        DataplaneStateCache.shared.keep(state, at: dataplaneStatePath)
    }
}
