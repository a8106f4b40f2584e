import Foundation
import UsherBPF
import UsherCore

/// The one path by which every command changes what the balancer does: under the state lock,
/// read the last applied config, change it, validate it, write the tables, then save it.
/// Validation and next-hop resolution happen before any map is written, so a change that fails
/// leaves the running tables as they were.
struct Controller {
    let options: GlobalOptions
    var resolver: NeighborResolving = SystemNeighborResolver()

    init(options: GlobalOptions) {
        self.options = options
    }

    var store: StateStore { StateStore(directory: options.stateDirectory) }

    /// The last applied config, or an empty one before the first apply.
    func currentConfig() throws -> BalancerConfig {
        try store.load() ?? BalancerConfig()
    }

    /// Whether maps are pinned under --pin-dir (something was applied there).
    var mapsArePinned: Bool { FileManager.default.fileExists(atPath: options.pinDirectory + "/usher_vips_v1") }

    /// Opens the pinned maps, creating and pinning them on first use; with `create` false,
    /// fails when nothing is pinned there (for commands that only read or inspect).
    func dataplane(create: Bool = true) throws -> Dataplane {
        try Dataplane(pinDirectory: options.pinDirectory, createIfMissing: create)
    }

    /// Applies `change` to the last applied config and makes the data plane follow.
    /// Returns the diff that was applied (empty when nothing changed).
    @discardableResult
    func update(dryRun: Bool = false, _ change: (inout BalancerConfig) throws -> Void) throws -> ConfigDiff {
        try store.withLock {
            let old = try store.load()
            var new = old ?? BalancerConfig()
            try change(&new)
            let issues = ConfigValidator.validate(new)
            if !issues.isEmpty { throw ConfigErrors(errors: issues) }
            let diff = ConfigDiff(from: old, to: new)
            if dryRun { return diff }
            try commit(new, old: old)
            return diff
        }
    }

    /// Replaces the whole config (declarative apply); `new` has been validated by the loader.
    func replace(with new: BalancerConfig, dryRun: Bool) throws -> ConfigDiff {
        try update(dryRun: dryRun) { $0 = new }
    }

    private func commit(_ new: BalancerConfig, old: BalancerConfig?) throws {
        let dp = try dataplane()
        let previous = dp.mapsWereCreated ? nil : try loadDataplaneState()
        let state = try dp.apply(new, previous: previous, resolver: resolver)
        for warning in state.warnings { printError("usher: warning: \(warning)") }
        try saveDataplaneState(state)
        try store.save(new)
        try reconcileAttachments(dp, new: new, old: old)
    }

    /// Attaches to interfaces the config lists and detaches from those it no longer lists.
    private func reconcileAttachments(_ dp: Dataplane, new: BalancerConfig, old: BalancerConfig?) throws {
        let wanted = Set(new.interfaces.map(\.name))
        for interface in old?.interfaces ?? [] where !wanted.contains(interface.name) {
            _ = try dp.detach(interface: interface.name)
        }
        let attached = Set(try dp.attachments().filter { $0.program == .balancer }.map(\.interface))
        for interface in new.interfaces where !attached.contains(interface.name) {
            _ = try dp.attach(interface: interface.name, mode: interface.xdpMode)
        }
    }

    // MARK: Ids of services and reals in the maps, kept beside the config.

    private var dataplaneStatePath: String { options.stateDirectory + "/dataplane.json" }

    func loadDataplaneState() throws -> DataplaneState? {
        guard let data = FileManager.default.contents(atPath: dataplaneStatePath) else { return nil }
        do {
            return try JSONDecoder().decode(DataplaneState.self, from: data)
        } catch {
            throw CLIError("\(dataplaneStatePath) is unreadable (\(error)); remove it and run `usher apply` again")
        }
    }

    private func saveDataplaneState(_ state: DataplaneState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(state)
        let tmp = dataplaneStatePath + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw CLIError("cannot write \(tmp); check that \(options.stateDirectory) is writable")
        }
        guard rename(tmp, dataplaneStatePath) == 0 else {
            throw CLIError("cannot rename \(tmp) to \(dataplaneStatePath): \(String(cString: strerror(errno)))")
        }
    }
}
