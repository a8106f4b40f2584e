import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The last applied config, kept as JSON in the state directory (default /run/usher) so that
/// imperative commands (`usher real add …`) can edit it and `usher apply` can show a diff.
///
/// Writes are atomic (temporary file, fsync, rename), so a crash leaves the old or the new
/// config, never half of one. `withLock` serialises commands that read, change and save.
public struct StateStore: Sendable {
    /// Version of the file format; a file of another version is refused, not misread.
    public static let formatVersion = 1

    public let directory: String
    /// How long `withLock` waits for another command to finish.
    public var lockTimeout: Duration

    public init(directory: String, lockTimeout: Duration = .seconds(10)) {
        self.directory = directory
        self.lockTimeout = lockTimeout
    }

    public var configPath: String { directory + "/config.json" }
    public var lockPath: String { directory + "/lock" }

    private struct File: Codable {
        var version: Int
        var config: BalancerConfig
    }

    /// Configs this process last read or wrote, by path, kept while the file is the same one
    /// (inode, size, modification time): a daemon that applies again, or a benchmark, does not
    /// decode 100,000 reals each time.
    private static let kept = Mutex<[String: (stamp: FileStamp, config: BalancerConfig)]>([:])

    /// The last saved config, or nil if none was saved yet.
    public func load() throws(StateStoreError) -> BalancerConfig? {
        guard let stamp = FileStamp(path: configPath) else { return nil }
        if let config = Self.kept.withLock({ $0[configPath].flatMap { $0.stamp == stamp ? $0.config : nil } }) {
            return config
        }
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw StateStoreError(path: configPath, message: "cannot read the saved config", hint: "check its permissions")
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw StateStoreError(path: configPath, message: "the saved config is not valid (\(error))",
                                  hint: "remove it and run `usher apply -f FILE` again")
        }
        guard file.version == Self.formatVersion else {
            throw StateStoreError(path: configPath, message: "the saved config has format version \(file.version), this usher reads \(Self.formatVersion)",
                                  hint: "use the usher that wrote it, or remove the file and run `usher apply -f FILE` again")
        }
        Self.kept.withLock { $0[configPath] = (stamp, file.config) }
        return file.config
    }

    /// Saves `config` atomically (mode 0600), creating the directory (mode 0700) if needed; to
    /// `path` instead of `configPath` if given (a config an apply will put in place when done).
    public func save(_ config: BalancerConfig, to path: String? = nil) throws(StateStoreError) {
        let configPath = path ?? configPath
        try createDirectory()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(File(version: Self.formatVersion, config: config))
        } catch {
            throw StateStoreError(path: configPath, message: "cannot encode the config: \(error)")
        }
        try AtomicFile.write(data, to: configPath)
        if path == nil, let stamp = FileStamp(path: configPath) { Self.kept.withLock { $0[configPath] = (stamp, config) } }
    }

    /// Runs `body` holding an exclusive `flock` on DIR/lock, so that two usher commands never
    /// interleave their read-change-apply-save. Waits up to `lockTimeout` for the lock.
    /// Not reentrant: do not call it again from inside `body`.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        try createDirectory()
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(lockPath, "cannot open the lock file") }
        defer { close(fd) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: lockTimeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw failure(lockPath, "cannot lock") }
            guard clock.now < deadline else {
                throw StateStoreError(path: lockPath, message: "another usher command holds the lock",
                                      hint: "wait for it to finish and try again")
            }
            usleep(20_000)
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Creates the directory and its parents (mode 0700); refuses one that another user owns
    /// or can write to (`PrivateDirectory`).
    public func createDirectory() throws(StateStoreError) {
        try PrivateDirectory.prepare(directory, what: "state directory")
    }

    private func failure(_ path: String, _ what: String) -> StateStoreError {
        let reason = String(cString: strerror(errno))
        return StateStoreError(path: path, message: "\(what): \(reason)",
                               hint: "check that \(directory) is writable (run as root, or give --state-dir)")
    }
}
