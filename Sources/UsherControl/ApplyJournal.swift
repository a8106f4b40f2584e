import Foundation
import UsherBPF
import UsherCore

/// An apply in progress, on disk, so that an apply killed half-way (SIGKILL, power) is completed
/// or undone by the next command: `<state>/apply-journal.json` names the generation the maps
/// will run once the apply is done, and beside it wait the files that will then be the saved
/// config and `dataplane.json` (`config.json.next`, `dataplane.json.next`).
///
/// Order: the pending files, then the journal (its presence means they are complete), then the
/// maps (the switch of generation is one write), then the pending files renamed into place,
/// then the journal removed. The maps' running generation says which side of the switch a
/// killed apply stopped on (`Controller.recoverInterruptedApply`).
struct ApplyJournal {
    let directory: String

    private struct Entry: Codable {
        /// The running generation once the apply is done (the number before it when the apply
        /// switches nothing: only shared entries such as SNAT pools or the filter change).
        var generation: UInt32
    }

    var path: String { directory + "/apply-journal.json" }
    var configPath: String { directory + "/config.json" }
    var dataplanePath: String { directory + "/dataplane.json" }
    var pendingConfigPath: String { configPath + ".next" }
    var pendingDataplanePath: String { dataplanePath + ".next" }

    /// Records an apply about to write the maps: `config` (nil: the saved config stays) and
    /// `state` as they will be saved, and the generation that will then run.
    func begin(generation: UInt32, config: BalancerConfig?, state: DataplaneState, store: StateStore) throws {
        unlink(pendingConfigPath)
        if let config { try store.save(config, to: pendingConfigPath) }
        try AtomicFile.writeJSON(state, to: pendingDataplanePath)
        try AtomicFile.writeJSON(Entry(generation: generation), to: path)
    }

    /// The generation an unfinished apply was going to run, or nil if none is recorded.
    func pendingGeneration() throws -> UInt32? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(Entry.self, from: data).generation
        } catch {
            throw ControlError("\(path) is unreadable (\(error)); remove it, check `usher maps dump` against " +
                "`usher status`, and run `usher apply -f FILE` again")
        }
    }

    /// Whether an unfinished apply is recorded (one stat, no lock).
    var isPending: Bool { FileManager.default.fileExists(atPath: path) }

    /// Puts the pending files in place (those not yet moved) and removes the journal: the apply
    /// is done.
    func finish() throws {
        if FileManager.default.fileExists(atPath: pendingConfigPath) { try AtomicFile.move(pendingConfigPath, to: configPath) }
        if FileManager.default.fileExists(atPath: pendingDataplanePath) { try AtomicFile.move(pendingDataplanePath, to: dataplanePath) }
        unlink(path)
    }

    /// Drops the pending files and the journal: the maps still run what the saved files say.
    func abandon() {
        unlink(pendingConfigPath)
        unlink(pendingDataplanePath)
        unlink(path)
    }
}
