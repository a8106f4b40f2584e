import Foundation

extension ProxyStatistics {
    /// The file's name in the state directory.
    public static let fileName = "proxy-stats.json"

    /// Writes the snapshot to `<directory>/proxy-stats.json` atomically: a temporary file in
    /// the same directory, then `rename(2)`, so a reader sees the old snapshot or the new one,
    /// never half of one. Creates the directory if needed.
    public func write(toDirectory directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try Self.encoder().encode(self)
        let final = directory + "/" + Self.fileName
        let temporary = directory + "/." + Self.fileName + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        guard rename(temporary, final) == 0 else {
            let code = errno
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO, userInfo: [NSFilePathErrorKey: final])
        }
    }

    /// The snapshot in `<directory>/proxy-stats.json`; nil when there is none (no proxy has
    /// run with this state directory). Throws when the file exists but cannot be read.
    public static func read(fromDirectory directory: String) throws -> ProxyStatistics? {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try decoder().decode(ProxyStatistics.self, from: data)
    }
}
