import Foundation

/// A unique pin directory under /sys/fs/bpf for one test, removed with everything in it.
final class PinDir {
    let path: String

    init() {
        path = "/sys/fs/bpf/usher-t-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// Removes the pinned maps and the directory (bpffs only unlinks files one by one).
    func remove() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] {
            unlink(path + "/" + name)
        }
        rmdir(path)
    }

    deinit { remove() }
}
