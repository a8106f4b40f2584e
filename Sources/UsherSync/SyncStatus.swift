import Foundation
import UsherCore

/// What the sync service tells other commands, in `<state dir>/sync.json` (0600), written every
/// second while it runs; `usher status` shows it.
public struct SyncStatus: Codable, Sendable, Hashable {
    public struct Peer: Codable, Sendable, Hashable {
        public var address: String
        /// A valid message came from it within `PeerTable.presenceTimeout`.
        public var present: Bool
        public var lastMessageAt: Date?
        /// Times it appeared (first heard, or heard again after a silence): each got a full pass.
        public var appearances: Int
    }

    public var listen: String
    public var signed: Bool
    public var messagesSent = 0
    public var flowsSent = 0
    public var messagesReceived = 0
    public var flowsReceived = 0
    /// Received flows written to the tables.
    public var flowsApplied = 0
    /// Received flows not written: the local entry was as new or newer.
    public var flowsKeptLocal = 0
    /// Received flows not written: no such service, real or interface here.
    public var flowsUnmapped = 0
    /// Received datagrams dropped, by reason: malformed, version, unauthenticated, stale, unknown-peer.
    public var dropped: [String: Int] = [:]
    public var sendErrors = 0
    /// Times the socket closed under the service (a send the kernel refused) and was opened again.
    public var socketClosures = 0
    /// Rounds whose scan or apply failed (the tables could not be read or written).
    public var tableErrors = 0
    public var fullPasses = 0
    public var peers: [Peer] = []
    public var updatedAt = Date()

    public init(listen: String, signed: Bool) {
        self.listen = listen
        self.signed = signed
    }

    public static func path(in stateDirectory: String) -> String { stateDirectory + "/sync.json" }

    /// The status the sync service over `stateDirectory` last wrote, if any.
    public static func load(from stateDirectory: String) -> SyncStatus? {
        guard let data = FileManager.default.contents(atPath: path(in: stateDirectory)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(SyncStatus.self, from: data)
    }

    func save(in stateDirectory: String) throws {
        try AtomicFile.writeJSON(self, to: Self.path(in: stateDirectory), pretty: true)
    }
}
