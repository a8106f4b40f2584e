import Foundation
import UsherBGP
import UsherCore
import UsherHA

/// What a running daemon tells other commands, in `<state dir>/daemon.json` (0600): who it is,
/// which file it serves, and how its last reload went (`usher reload` waits for `generation`
/// to move past the one it saw, then reports `lastReload`).
public struct DaemonStatus: Codable, Sendable, Hashable {
    public struct Reload: Codable, Sendable, Hashable {
        public var at: Date
        public var ok: Bool
        /// Each error as `file:line:col: field: what to do`; empty when it went through.
        public var errors: [String]
        /// What changed, in the words of `usher apply`'s diff.
        public var changes: [String]

        public init(at: Date, ok: Bool, errors: [String] = [], changes: [String] = []) {
            self.at = at
            self.ok = ok
            self.errors = errors
            self.changes = changes
        }
    }

    public var pid: Int32
    public var configPath: String
    public var startedAt: Date
    /// Counts reloads (SIGHUP or `usher reload`), whatever their outcome.
    public var generation: Int
    public var lastReload: Reload?
    /// This balancer's part in its pair (`ha:`), as keepalived last said; nil without `ha:`.
    public var ha: HAStatus?
    /// Its BGP sessions and announced VIPs (`bgp:`), as bird last said; nil without `bgp:`.
    public var bgp: BGPStatus?

    public init(pid: Int32, configPath: String, startedAt: Date, generation: Int = 0, lastReload: Reload? = nil) {
        self.pid = pid
        self.configPath = configPath
        self.startedAt = startedAt
        self.generation = generation
        self.lastReload = lastReload
    }

    public static func path(in stateDirectory: String) -> String { stateDirectory + "/daemon.json" }

    /// The status a daemon running over `stateDirectory` wrote; nil when none runs there (no
    /// file, or its process is gone or a zombie).
    public static func running(in stateDirectory: String) -> DaemonStatus? {
        guard let data = FileManager.default.contents(atPath: path(in: stateDirectory)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let status = try? decoder.decode(DaemonStatus.self, from: data) else { return nil }
        guard ProcessState.isRunning(status.pid) else { return nil }
        return status
    }

    func save(in stateDirectory: String) throws {
        try AtomicFile.writeJSON(self, to: Self.path(in: stateDirectory), pretty: true)
    }
}
