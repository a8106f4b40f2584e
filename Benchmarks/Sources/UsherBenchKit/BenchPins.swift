import Foundation

/// A pin directory of the benchmark's own (`/sys/fs/bpf/usher-bench-<pid>-<random>`), so a run
/// never touches the tables of a balancer running on the machine; removed with its maps (and,
/// if the run is killed first, by the next `Tools/bench`, which sees its pid gone).
public final class BenchPins {
    public let path: String

    public init() {
        path = "/sys/fs/bpf/usher-bench-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    public func remove() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    deinit { remove() }
}
