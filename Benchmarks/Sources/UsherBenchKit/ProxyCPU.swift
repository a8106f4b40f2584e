import Foundation

/// CPU time as the kernel counts it, for the proxy part's attribution: which side (the proxy
/// under test, or wrk and the real servers) used up its core.
public enum ProxyCPU {
    /// Clock ticks per second of /proc's time fields (USER_HZ).
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime, in seconds, of one line of /proc/PID/stat (every thread of the process).
    /// The command name (field 2) may hold spaces and parentheses: fields are counted from the
    /// last `)`. nil when the line is not a stat line.
    public static func seconds(statLine line: String) -> Double? {
        guard let close = line.lastIndex(of: ")") else { return nil }
        // After ")": state (field 3), ppid (4), ... utime is field 14, stime field 15.
        let fields = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        return (utime + stime) / ticksPerSecond
    }

    /// utime + stime of a running process, in seconds; nil when it has exited.
    public static func seconds(pid: Int32) -> Double? {
        guard let line = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return seconds(statLine: line)
    }

    /// The process and its descendants (an nginx master and its worker), from each thread's
    /// `children` list.
    public static func tree(of pid: Int32) -> [Int32] {
        var all: [Int32] = [], queue = [pid]
        while let next = queue.popLast(), all.count < 4096 {
            all.append(next)
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(next)/task")) ?? []
            for task in tasks {
                let text = (try? String(contentsOfFile: "/proc/\(next)/task/\(task)/children", encoding: .utf8)) ?? ""
                queue += text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
        return all
    }

    /// utime + stime of a process and its descendants, in seconds.
    public static func treeSeconds(of pid: Int32) -> Double {
        tree(of: pid).compactMap { seconds(pid: $0) }.reduce(0, +)
    }

    /// CPU time of the reaped children of this process (wrk, once it has exited), in seconds.
    public static func reapedChildrenSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// Busy (not idle, not iowait) seconds of each CPU since boot, from /proc/stat: every
    /// process's share, ours and the other work on the machine.
    public static func busyPerCPU(procStat text: String) -> [Int: Double] {
        var out: [Int: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
            let fields = line.split(separator: " ")
            guard let cpu = Int(fields[0].dropFirst(3)) else { continue }
            let ticks = fields.dropFirst().compactMap { Double($0) }
            guard ticks.count >= 8 else { continue }
            // user nice system idle iowait irq softirq steal (guest time is already in user).
            let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
            out[cpu] = busy / ticksPerSecond
        }
        return out
    }

    public static func busyPerCPU() -> [Int: Double] {
        busyPerCPU(procStat: (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? "")
    }
}
