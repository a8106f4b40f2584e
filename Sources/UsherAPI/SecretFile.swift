import Foundation

/// A file holding a secret (the API's token): read only if it is a regular file that no one
/// but its owner (root, or the daemon's user) can read or write.
enum SecretFile {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ path: String, what: String) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw Problem(description: "\(what) \(path): \(String(cString: strerror(errno))); create it with "
                + "`install -m 600 /dev/null \(path)` and write a long random token in it (e.g. `openssl rand -hex 32 > \(path)`)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Problem(description: "\(what) \(path) is not a regular file (a link or a device is refused)")
        }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            throw Problem(description: "\(what) \(path) belongs to uid \(info.st_uid); it must be root's: `chown root \(path)`")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Problem(description: "\(what) \(path) can be read or written by others (mode "
                + String(info.st_mode & 0o777, radix: 8) + "): `chmod 600 \(path)`")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Problem(description: "\(what) \(path) cannot be read as text")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard secret.count >= 16, !secret.contains(where: { $0.isWhitespace || !$0.isASCII }) else {
            throw Problem(description: "\(what) \(path) must hold one token of at least 16 printable ASCII characters "
                + "(e.g. `openssl rand -hex 32 > \(path)`)")
        }
        return secret
    }
}
