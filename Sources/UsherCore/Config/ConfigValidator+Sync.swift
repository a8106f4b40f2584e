import Foundation

/// The rules of the `sync:` section: peers other than this balancer, one address family, and
/// a key file only root can read.
extension ConfigValidator {
    /// A shared secret shorter than this is refused: 16 bytes, or 32 hex digits.
    public static let minSyncKeyBytes = 16
    static let maxSyncKeyBytes = 4096
    static let syncKeyHint = "create it with: umask 077; openssl rand -hex 32 > /etc/usher/sync.key (the same file on every balancer)"

    static func checkSync(_ sync: SyncSettings, into out: inout [ValidationIssue]) {
        let path = FieldPath.root.key("sync")
        if sync.peers.isEmpty {
            out.append(ValidationIssue(path.key("peers"), "no peer given: sync needs at least one other balancer",
                                       hint: "list the other balancers' sync addresses, e.g. `peers: [192.0.2.12]`"))
        } else if sync.address == nil, sync.peers.count < 2 {
            out.append(ValidationIssue(path.key("peers"), "without `address:`, `peers:` lists every balancer, this one included: give at least two",
                                       hint: "list every balancer's sync address (each daemon finds its own among them), or add `address:`"))
        }
        // Without `address:` the family is the first peer's (each daemon finds its own among them).
        let own = sync.address ?? sync.peers.first
        var seen: [IPAddress: Int] = [:]
        for (i, peer) in sync.peers.enumerated() {
            let at = path.key("peers").index(i)
            if peer == sync.address {
                out.append(ValidationIssue(at, "peer \(peer) is this balancer's own sync address",
                                           hint: "list only the other balancers; `address:` is this one"))
            } else if let own, peer.isV4 != own.isV4 {
                out.append(ValidationIssue(at, "peer \(peer) is an \(peer.familyName) address but \(own) is \(own.familyName)",
                                           hint: "use addresses of one family on the sync segment"))
            } else if let first = seen[peer] {
                out.append(ValidationIssue(at, "peer \(peer) is listed twice; first at", related: path.key("peers").index(first)))
            }
            if seen[peer] == nil { seen[peer] = i }
        }
        if let keyFile = sync.keyFile, let problem = syncKeyProblem(keyFile) {
            out.append(ValidationIssue(path.key("key-file"), problem, hint: syncKeyHint))
        }
    }

    /// Why the file at `path` cannot hold the sync key, if it cannot: it must be an absolute
    /// path to a regular file owned by root, readable by nobody else (mode 0600 or 0400), with
    /// at least `minSyncKeyBytes` bytes of secret. Its content is never shown.
    public static func syncKeyProblem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "key file \"\(path)\" is a relative path; write an absolute path" }
        var info = stat()
        guard lstat(path, &info) == 0 else { return "no key file at \(path)" }
        guard info.st_mode & S_IFMT == S_IFREG else { return "\(path) is not a regular file (a directory or a symbolic link?)" }
        guard info.st_uid == 0 else { return "key file \(path) belongs to uid \(info.st_uid), not to root: chown root \(path)" }
        guard info.st_mode & 0o077 == 0 else {
            return "key file \(path) has mode \(String(info.st_mode & 0o777, radix: 8)): others could read the key; chmod 600 \(path)"
        }
        guard let secret = syncKey(at: path) else { return "key file \(path) cannot be read by root, or is larger than \(maxSyncKeyBytes) bytes" }
        guard secret.count >= minSyncKeyBytes else {
            return "key file \(path) holds \(secret.count) bytes of secret, fewer than \(minSyncKeyBytes)"
        }
        return nil
    }

    /// The secret in the key file: its bytes without surrounding whitespace (a trailing newline
    /// of `openssl rand -hex 32 >` is not part of it); nil if unreadable or too large.
    public static func syncKey(at path: String) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maxSyncKeyBytes + 1), data.count <= maxSyncKeyBytes else { return nil }
        var bytes = [UInt8](data)
        let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        while let last = bytes.last, space.contains(last) { bytes.removeLast() }
        while let first = bytes.first, space.contains(first) { bytes.removeFirst() }
        return bytes
    }
}
