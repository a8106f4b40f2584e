import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way Usher replaces a file that holds state: write a temporary file beside it (mode
/// 0600 unless told otherwise), fsync it, rename it over the old one, fsync the directory. A
/// crash leaves the old content or the new, never half of either.
public enum AtomicFile {
    /// Writes `data` to `path` atomically; the file gets `mode` whatever umask says.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws(StateStoreError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure(temporary, "cannot create", directory: directory) }
        fchmod(fd, mode)
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        let writeError = errno
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok else {
            errno = writeError
            let error = failure(temporary, "cannot write", directory: directory)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure(path, "cannot replace", directory: directory)
            unlink(temporary)
            throw error
        }
        syncDirectory(directory)
    }

    /// Puts the file written at `source` (by `write`) in place of `path`, durably: a rename, then
    /// an fsync of the directory.
    public static func move(_ source: String, to path: String) throws(StateStoreError) {
        let directory = (path as NSString).deletingLastPathComponent
        guard rename(source, path) == 0 else { throw failure(path, "cannot replace it with \(source)", directory: directory) }
        syncDirectory(directory)
    }

    /// Makes a rename in `directory` durable.
    private static func syncDirectory(_ directory: String) {
        let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    /// `value` as sorted-key JSON, written atomically.
    public static func writeJSON<T: Encodable>(_ value: T, to path: String, pretty: Bool = false) throws(StateStoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw StateStoreError(path: path, message: "cannot encode: \(error)")
        }
        try write(data, to: path)
    }

    private static func failure(_ path: String, _ what: String, directory: String) -> StateStoreError {
        let reason = String(cString: strerror(errno))
        return StateStoreError(path: path, message: "\(what): \(reason)",
                               hint: "check that \(directory) is writable (run as root, or give --state-dir)")
    }
}
