import Foundation
import UsherCore

extension ProxyStatistics {
    /// The file's name in the state directory.
    public static let fileName = "proxy-stats.json"

    /// Writes the snapshot to `<directory>/proxy-stats.json` atomically (`AtomicFile`, 0600), so a
    /// reader sees the old snapshot or the new one, never half of one. Creates the directory
    /// (0700) if needed, and refuses one another user owns or can write to.
    public func write(toDirectory directory: String) throws {
        try PrivateDirectory.prepare(directory, what: "state directory")
        try AtomicFile.write(try Self.encoder().encode(self), to: directory + "/" + Self.fileName)
    }

    /// The snapshot in `<directory>/proxy-stats.json`; nil when there is none (no proxy has
    /// run with this state directory). Throws when the file exists but cannot be read.
    public static func read(fromDirectory directory: String) throws -> ProxyStatistics? {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try decoder().decode(ProxyStatistics.self, from: data)
    }
}
