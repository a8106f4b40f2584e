import Foundation
import Testing
@testable import UsherBenchKit

/// The CPU quota the cluster part gives each balancer: where the cpu controller is found, and
/// that a busy process in a quota's group gets no more than its share of a CPU.
@Suite("CPU quota", .serialized)
struct CPUQuotaTests {
    @Test("the cpu controller is found under cgroup v2 or among v1's mounts, or not at all")
    func controller() {
        let v1 = """
            tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
            cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
            cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
            cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
            """
        #expect(CPUQuota.controller(mounts: v1, unifiedControllers: nil)! == ("/sys/fs/cgroup/cpu", false))
        // cpuacct alone is not cpu; a shared mount of both is.
        let shared = "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0"
        #expect(CPUQuota.controller(mounts: shared, unifiedControllers: nil)! == ("/sys/fs/cgroup/cpu,cpuacct", false))
        #expect(CPUQuota.controller(mounts: v1, unifiedControllers: "cpuset cpu io memory pids\n")! == ("/sys/fs/cgroup", true))
        #expect(CPUQuota.controller(mounts: "cgroup /x cgroup rw,cpuacct 0 0", unifiedControllers: "memory pids\n") == nil)
    }

    @Test("a quota out of range is refused with what to give")
    func range() {
        #expect(throws: LabShell.Failure.self) { try CPUQuota(name: "usher-bench-test-range", percent: 0) }
        #expect(throws: LabShell.Failure.self) { try CPUQuota(name: "usher-bench-test-range", percent: 150) }
    }

    @Test("a busy loop held to 10% of a CPU (under the group's scheduler) gets about that, and the group is gone after remove()",
          .enabled(if: geteuid() == 0 && CPUQuota.controller() != nil, "needs root and the cgroup cpu controller"))
    func holdsABusyLoop() throws {
        let name = "usher-bench-test-\(getpid())"
        let quota = try CPUQuota(name: name, percent: 10)
        let spinner = Process()
        spinner.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        // SIGKILL: the child may inherit a mask that blocks SIGTERM, and a real-time loop that
        // outlived its group would hold a CPU.
        spinner.arguments = ["-s", "KILL", "5", "sh", "-c", "while :; do :; done"]
        try spinner.run()
        var shellPid: Int32?
        defer {
            if let shellPid { kill(shellPid, SIGKILL) }
            kill(spinner.processIdentifier, SIGKILL)
            spinner.waitUntilExit()
            quota.remove()
        }
        // timeout(1) forks the shell: the group takes the shell, the one that spins.
        var child: Int32?
        for _ in 0..<100 where child == nil {
            let children = (try? String(contentsOfFile: "/proc/\(spinner.processIdentifier)/task/\(spinner.processIdentifier)/children",
                                        encoding: .utf8)) ?? ""
            child = children.split(separator: " ").first.flatMap { Int32($0) }
            if child == nil { usleep(10_000) }
        }
        let shell = try #require(child, "timeout's shell did not start")
        shellPid = shell
        try quota.add(pid: shell)
        if quota.scheduler == .realtime {
            // Real-time only once in the group: the group's budget holds it from its first instant.
            let chrt = Process()
            chrt.executableURL = URL(fileURLWithPath: "/usr/bin/chrt")
            chrt.arguments = ["-f", "-p", "10", "\(shell)"]
            try chrt.run()
            chrt.waitUntilExit()
            #expect(chrt.terminationStatus == 0)
        }
        let before = try cpuSeconds(shell)
        let start = Date()
        usleep(1_500_000)
        let spent = try cpuSeconds(shell) - before
        let share = spent / Date().timeIntervalSince(start)
        // Unlimited, the loop would take most of a CPU; held to 10%, it cannot pass 10% by more
        // than a period's rounding.
        #expect(share <= 0.14, "the loop took \(share) of a CPU")
        #expect(share > 0.01, "the loop did not run at all (\(share))")
        // Killed before its group goes: never a moment outside its budget.
        kill(shell, SIGKILL)
        shellPid = nil
        var reaped = 0
        while kill(shell, 0) == 0, reaped < 100 {
            reaped += 1
            usleep(10_000)
        }
        quota.remove()
        #expect(!FileManager.default.fileExists(atPath: quota.path))
    }

    /// User plus system CPU seconds of `pid`, from /proc/PID/stat.
    private func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        let ticks = Double(fields[11])! + Double(fields[12])!
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
