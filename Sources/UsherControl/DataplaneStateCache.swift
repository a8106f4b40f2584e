import Foundation
import Synchronization
import UsherBPF
import UsherCore

/// `dataplane.json` as last decoded or written by this process, kept while the file on disk is
/// the same one (inode, size, modification time: every save is a new file renamed into place).
/// With 100,000 reals the file is tens of megabytes of JSON: decoding it for every scrape or
/// apply cost seconds; now only when another process (the CLI, another daemon) wrote it.
final class DataplaneStateCache: Sendable {
    static let shared = DataplaneStateCache()

    private let entries = Mutex<[String: (stamp: FileStamp, state: DataplaneState)]>([:])

    /// The state kept for `path` if the file is still the one it came from.
    func state(at path: String) -> DataplaneState? {
        guard let stamp = FileStamp(path: path) else { return nil }
        return entries.withLock { entries in entries[path].flatMap { $0.stamp == stamp ? $0.state : nil } }
    }

    /// Keeps `state` as the content of the file now at `path`.
    func keep(_ state: DataplaneState, at path: String) {
        guard let stamp = FileStamp(path: path) else { return }
        entries.withLock { $0[path] = (stamp, state) }
    }
}
