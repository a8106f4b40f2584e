import Foundation

/// Where the lab's work runs and what it costs: the kernel threads that run each veth's receive
/// processing (threaded NAPI, `napi/IFACE-ID`), their CPU time, and a CPU's busy time.
public enum LabCPU {
    /// The pid of the NAPI thread of `interface` (its receive queue 0), if threaded NAPI is on.
    /// Interface names in the lab carry the run's tag, so the thread's name is unique.
    public static func napiThread(of interface: String) -> Int32? {
        let prefix = "napi/\(interface)-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8) else { continue }
            if comm.hasPrefix(prefix) { return pid }
        }
        return nil
    }

    /// Nanoseconds task `pid` has run on a CPU (/proc/PID/schedstat), or nil.
    public static func taskNanoseconds(_ pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { UInt64($0) }
    }

    /// Busy and total ticks of CPU `cpu` since boot (/proc/stat; busy: all but idle and iowait).
    public static func ticks(cpu: Int) -> (busy: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu\(cpu) ") {
            let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard values.count >= 5 else { return nil }
            let total = values.prefix(8).reduce(0, +)
            return (total - values[3] - values[4], total)
        }
        return nil
    }

    /// The CPU numbers this process may use.
    public static func online() -> [Int] {
        let mine = LabShell.affinity(pid: 0)
        return mine.isEmpty ? Array(0..<ProcessInfo.processInfo.activeProcessorCount) : mine
    }

    /// The busy share of `cpu` between two `ticks` readings, in percent.
    static func busyPercent(_ before: (busy: Double, total: Double)?, _ after: (busy: Double, total: Double)?) -> Double? {
        guard let before, let after, after.total > before.total else { return nil }
        return (after.busy - before.busy) / (after.total - before.total) * 100
    }
}
