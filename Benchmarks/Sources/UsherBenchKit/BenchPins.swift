import Foundation

/// A pin directory of the benchmark's own (`/sys/fs/bpf/usher-bench-<random>`), so a run never
/// touches the tables of a balancer running on the machine; removed with its maps.
public final class BenchPins {
    public let path: String

    public init() {
        path = "/sys/fs/bpf/usher-bench-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    public func remove() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    deinit { remove() }
}
