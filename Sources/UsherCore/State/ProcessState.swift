import Foundation

/// What /proc says of a process.
public enum ProcessState {
    /// Whether `pid` runs: it exists and is not a zombie (ended, not yet reaped by its parent,
    /// which `kill(pid, 0)` would still find).
    public static func isRunning(_ pid: pid_t) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }
}
