import Foundation
import UsherCore

/// What the balancer knows beyond its config, kept in `<state dir>/health.json` so that a
/// restarted daemon (and every CLI command that applies) starts from the last known health of
/// each real instead of marking them all up or all down: the health of every checked target
/// and when each real that came back began its slow start.
public struct RuntimeState: Hashable, Sendable, Codable {
    public static let formatVersion = 1

    public struct Entry: Hashable, Sendable, Codable {
        public var target: HealthTarget
        public var status: HealthStatus
        /// When its weight started to ramp up (slow start); nil once it has its full weight.
        public var rampStart: Date?

        public init(target: HealthTarget, status: HealthStatus, rampStart: Date? = nil) {
            self.target = target
            self.status = status
            self.rampStart = rampStart
        }
    }

    public var version = RuntimeState.formatVersion
    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// The entries by target.
    public var byTarget: [HealthTarget: Entry] {
        Dictionary(entries.map { ($0.target, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The health statuses by target.
    public var statuses: [HealthTarget: HealthStatus] { byTarget.mapValues(\.status) }

    public init(_ entries: [HealthTarget: Entry]) {
        self.entries = entries.values.sorted { $0.target.description < $1.target.description }
    }
}

/// Reads and writes `health.json` (atomically, 0600) in the state directory.
public struct RuntimeStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var path: String { directory + "/health.json" }

    /// The saved runtime state; an empty one when none was saved. An unreadable file is not an
    /// error that stops the balancer: its health is learned again from the checks.
    public func load() -> (state: RuntimeState, problem: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { return (RuntimeState(), nil) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            let state = try decoder.decode(RuntimeState.self, from: data)
            guard state.version == RuntimeState.formatVersion else {
                return (RuntimeState(), "\(path) has format version \(state.version), this usher reads \(RuntimeState.formatVersion); health is learned again")
            }
            return (state, nil)
        } catch {
            return (RuntimeState(), "\(path) is unreadable (\(error)); health is learned again")
        }
    }

    public func save(_ state: RuntimeState) throws(StateStoreError) {
        try StateStore(directory: directory).createDirectory()
        try AtomicFile.writeJSON(state, to: path, pretty: true)
    }
}
