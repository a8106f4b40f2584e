import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The rule for a directory that holds Usher's state or pinned maps: it belongs to the user
/// running Usher (root) and nobody else can write to it — else another local user could replace
/// a saved config or unlink root's pinned maps (bpffs is mode 1777, so anyone can pre-create
/// `/sys/fs/bpf/usher` on a fresh host).
public enum PrivateDirectory {
    /// Why `path` (which exists) cannot be trusted, or nil when it can.
    public static func problem(with path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "cannot stat it: \(String(cString: strerror(errno)))" }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            return "it is a symbolic link; give the directory itself"
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return "it is not a directory" }
        if info.st_uid != geteuid() {
            let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
            return "it belongs to \(owner), not to the user running usher (uid \(geteuid())), who could then " +
                "replace or remove what usher keeps there; remove it (or chown it) and run usher again"
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return String(format: "its mode %o lets other users write to it; chmod 0700 it (or remove it) and run usher again",
                          info.st_mode & 0o7777)
        }
        return nil
    }

    /// Creates `path` (and its parents) with mode 0700 if missing; refuses one that exists but
    /// cannot be trusted (see `problem(with:)`), and tightens a trusted one to 0700.
    public static func prepare(_ path: String, what: String) throws(StateStoreError) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue {
            throw StateStoreError(path: path, message: "is not a directory", hint: "give --state-dir a directory")
        }
        if !exists {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw StateStoreError(path: path, message: "cannot create the \(what): \(error.localizedDescription)",
                                      hint: "run as root, or give a writable directory")
            }
        }
        if let problem = problem(with: path) {
            throw StateStoreError(path: path, message: "refusing to use it as the \(what): \(problem)")
        }
        chmod(path, 0o700)
    }
}
