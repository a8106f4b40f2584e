import Foundation
import Testing
@testable import UsherBenchKit

/// The CPU-time readings that say which side of a proxy run was the bottleneck.
@Suite("Proxy part: CPU time", .serialized)
struct ProxyCPUTests {
    @Test("utime + stime from a stat line whose command name holds spaces and parentheses")
    func statLine() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        let line = "4242 (nginx: worker (x) ) S 1 4242 4242 0 -1 4194624 120 0 0 0 250 130 0 0 20 0 1 0 100 1000 10"
        #expect(ProxyCPU.seconds(statLine: line) == (250 + 130) / ProxyCPU.ticksPerSecond)
        #expect(ProxyCPU.seconds(statLine: "garbage") == nil)
    }

    @Test("a spinning process gains CPU time, a sleeping one none; the tree adds its children")
    func liveProcesses() throws {
        let spin = try Self.start("while :; do :; done")
        let sleeper = try Self.start("sleep 5")
        // A shell whose child spins: its own time stays near 0, its tree's grows.
        let parent = try Self.start("sh -c 'while :; do :; done' & wait")
        defer { for p in [spin, sleeper, parent] { Self.stop(p) } }
        // The loop ran between its start and this first reading too: only the difference
        // across the timed interval is bounded by that interval's wall time.
        let spunBefore = try #require(ProxyCPU.seconds(pid: spin.processIdentifier))
        let start = monotonicNanoseconds()
        usleep(800_000)
        let spunAfter = try #require(ProxyCPU.seconds(pid: spin.processIdentifier))
        let wall = Double(monotonicNanoseconds() - start) / 1e9
        let spun = spunAfter - spunBefore
        #expect(spun > 0.1, "a busy loop gets a share of a core even on a loaded machine")
        #expect(spun <= wall + 0.05, "one thread cannot use more than the wall time")
        #expect(try #require(ProxyCPU.seconds(pid: sleeper.processIdentifier)) < 0.05)
        let tree = ProxyCPU.tree(of: parent.processIdentifier)
        #expect(tree.count >= 2, "the shell and its spinning child")
        #expect(ProxyCPU.treeSeconds(of: parent.processIdentifier) > 0.1)
        #expect(try #require(ProxyCPU.seconds(pid: parent.processIdentifier)) < 0.05)
    }

    @Test("a child's CPU time is counted once it has exited and been waited for")
    func reapedChildren() throws {
        let before = ProxyCPU.reapedChildrenSeconds()
        let (status, _) = try ProxyLab.run(["/usr/bin/timeout", "0.5", "/bin/sh", "-c", "while :; do :; done"], timeout: 10)
        #expect(status == 124, "timeout ended the loop")
        #expect(ProxyCPU.reapedChildrenSeconds() - before > 0.1)
    }

    @Test("busy time per CPU from /proc/stat: user, nice, system, irq, softirq and steal; not idle nor iowait")
    func procStat() {
        let text = """
            cpu  900 0 300 5000 10 0 20 0 0 0
            cpu0 400 0 100 2000 5 0 10 30 0 0
            cpu1 500 7 200 3000 5 1 10 0 0 0
            intr 12345
            """
        let busy = ProxyCPU.busyPerCPU(procStat: text)
        #expect(busy.count == 2)
        #expect(busy[0] == 540 / ProxyCPU.ticksPerSecond)
        #expect(busy[1] == 718 / ProxyCPU.ticksPerSecond)
    }

    @Test("which side was the bottleneck", arguments: [
        // proxy, wrk, reals, CPU 0 busy, CPU 1 busy
        ([0.97, 0.60, 0.20, 0.85, 0.98], ProxyResult.Bottleneck.proxy),
        ([0.55, 0.99, 0.05, 1.00, 0.60], .wrk),
        ([0.55, 0.70, 0.25, 0.95, 0.60], .clientCore),
        ([0.30, 0.30, 0.10, 1.00, 1.00], .sharedMachine),
        ([0.50, 0.40, 0.10, 0.55, 0.85], .sharedMachine),
        ([0.30, 0.30, 0.10, 0.50, 0.40], .none),
    ])
    func bottleneck(shares: [Double], expected: ProxyResult.Bottleneck) {
        #expect(ProxyResult.Bottleneck.of(proxy: shares[0], wrk: shares[1], reals: shares[2], clientCore: shares[3],
                                          proxyCore: shares[4]) == expected)
    }

    @Test("which side was the bottleneck when everything shares both CPUs", arguments: [
        // ours (proxy + wrk + reals, in cores), CPU 0 busy, CPU 1 busy
        ([1.90, 0.96, 0.97], ProxyResult.Bottleneck.machine),
        ([1.50, 0.95, 0.90], .sharedMachine),
        ([1.20, 0.70, 0.55], .none),
    ])
    func bottleneckOnBothCores(shares: [Double], expected: ProxyResult.Bottleneck) {
        #expect(ProxyResult.Bottleneck.onBothCores(ours: shares[0], cpu0: shares[1], cpu1: shares[2]) == expected)
    }

    static func start(_ script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        usleep(50_000)
        return process
    }

    static func stop(_ process: Process) {
        for pid in ProxyCPU.tree(of: process.processIdentifier).reversed() { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}
