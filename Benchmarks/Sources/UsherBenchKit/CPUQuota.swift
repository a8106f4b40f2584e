import Foundation

/// A share of one CPU for a few threads: a group of the kernel's cpu controller whose bandwidth
/// limit lets its tasks run `percent` of every period, then throttles them until the next one.
/// The cluster part gives each balancer's receive thread one, so that on a machine with fewer
/// cores than balancers each balancer still has a fixed CPU of its own, smaller than a core.
///
/// Which limit holds depends on the task and the kernel, so the group says which it set
/// (`scheduler`), and its tasks must run under that scheduler:
/// - `.realtime`: the real-time group bandwidth (`cpu.rt_runtime_us`; cgroup v1 with
///   CONFIG_RT_GROUP_SCHED). The only limit that holds a kernel thread: since Linux 6.18 the fair
///   scheduler throttles a task only on its way back to user space, which a kernel thread
///   never takes (measured here: a NAPI thread held to 12% by `cpu.cfs_quota_us` ran 29%).
/// - `.fair`: the CFS quota (`cpu.max` under cgroup v2, `cpu.cfs_quota_us` under v1), for
///   user-space tasks, and for kernel threads on kernels before 6.18.
/// `remove()` (also run by `deinit`) moves what is left back to the root and deletes the group.
public final class CPUQuota {
    public enum Scheduler: String, Codable, Sendable { case realtime, fair }

    public let path: String
    public let percent: Double
    public let scheduler: Scheduler
    private let v2: Bool
    private let root: String

    /// Where the cpu controller is: the unified root when it offers `cpu`, else the v1 mount
    /// whose options name `cpu`; nil when neither (no bandwidth control on this machine).
    static func controller(mounts: String? = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8),
                           unifiedControllers: String? = try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.controllers", encoding: .utf8))
        -> (root: String, v2: Bool)? {
        if let unified = unifiedControllers, unified.split(whereSeparator: \.isWhitespace).contains("cpu") {
            return ("/sys/fs/cgroup", true)
        }
        for line in (mounts ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4, fields[2] == "cgroup" else { continue }
            if fields[3].split(separator: ",").contains("cpu") { return (String(fields[1]), false) }
        }
        return nil
    }

    /// Makes group `name` limited to `percent` of a CPU per `periodMicroseconds`.
    public init(name: String, percent: Double, periodMicroseconds: Int = 100_000) throws {
        guard percent > 0, percent <= 100 else {
            throw LabShell.Failure(description: "CPU quota \(percent)% is out of range: give more than 0 and at most 100")
        }
        guard let (root, v2) = Self.controller() else {
            throw LabShell.Failure(description: "no cgroup cpu controller (neither /sys/fs/cgroup/cgroup.controllers nor a v1 "
                + "mount with 'cpu' in /proc/mounts): CPU quotas need the kernel's CFS bandwidth control")
        }
        self.root = root
        self.v2 = v2
        self.percent = percent
        scheduler = !v2 && FileManager.default.fileExists(atPath: "\(root)/cpu.rt_runtime_us") ? .realtime : .fair
        path = "\(root)/\(name)"
        let quota = max(1_000, Int((Double(periodMicroseconds) * percent / 100).rounded()))
        if v2 {
            // The controller must be enabled for the root's children; harmless if it already is.
            try? Self.write("+cpu", to: "\(root)/cgroup.subtree_control")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            switch (scheduler, v2) {
            case (.realtime, _):
                try Self.write("\(periodMicroseconds)", to: "\(path)/cpu.rt_period_us")
                try Self.write("\(quota)", to: "\(path)/cpu.rt_runtime_us")
            case (.fair, true):
                try Self.write("\(quota) \(periodMicroseconds)", to: "\(path)/cpu.max")
            case (.fair, false):
                try Self.write("\(periodMicroseconds)", to: "\(path)/cpu.cfs_period_us")
                try Self.write("\(quota)", to: "\(path)/cpu.cfs_quota_us")
            }
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    /// Puts task `pid` (a thread, kernel threads included) in the group. It must already run
    /// under `scheduler` (SCHED_FIFO for `.realtime`, SCHED_OTHER for `.fair`).
    public func add(pid: Int32) throws {
        try Self.write("\(pid)", to: "\(path)/\(v2 ? "cgroup.procs" : "tasks")")
    }

    /// Moves the group's tasks back to the root and deletes it. Idempotent.
    public func remove() {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let tasksFile = "\(path)/\(v2 ? "cgroup.procs" : "tasks")"
        let rootTasks = "\(root)/\(v2 ? "cgroup.procs" : "tasks")"
        for pid in ((try? String(contentsOfFile: tasksFile, encoding: .utf8)) ?? "").split(separator: "\n") {
            try? Self.write(String(pid), to: rootTasks)
        }
        // A thread that is exiting (its namespace deleted) leaves the group a moment later.
        var tries = 0
        while rmdir(path) != 0, errno == EBUSY, tries < 100 {
            tries += 1
            usleep(10_000)
        }
    }

    private static func write(_ text: String, to file: String) throws {
        guard let handle = FileHandle(forWritingAtPath: file) else {
            throw LabShell.Failure(description: "cannot open \(file) for writing (run as root)")
        }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw LabShell.Failure(description: "writing '\(text)' to \(file) failed: \(error)")
        }
    }
}
