import Foundation

/// System calls per request of each proxy (`perf stat -e raw_syscalls:sys_enter` on its
/// processes — nginx's worker with its master — over one wrk run): a figure that another program's load on the machine does not
/// change, unlike requests per second, and that shows work a proxy could batch (reads,
/// writes, epoll registrations).
struct ProxySyscalls {
    let load: ProxyLoad
    let seconds: Int

    /// nil without perf or when the tracepoint cannot be counted.
    func perRequest(_ kind: ProxyPeers.Kind, pid: Int32, _ scenario: ProxyResult.Scenario) throws -> ProxyResult.SyscallCount? {
        guard let perf = Profile.perf else { return nil }
        let counter = Process()
        counter.executableURL = URL(fileURLWithPath: ProxyLab.resetSignals[0])
        counter.arguments = Array(ProxyLab.resetSignals.dropFirst()) + [perf, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p",
                                                                          ProxyCPU.tree(of: pid).map(String.init).joined(separator: ",")]
        let pipe = Pipe()
        counter.standardOutput = pipe
        counter.standardError = pipe
        counter.standardInput = FileHandle.nullDevice
        try counter.run()
        let output = DataCollector(pipe.fileHandleForReading)
        usleep(300_000)
        let run = try? load.lab.command(load.wrkArguments(kind, scenario, seconds: seconds), cpu: ProxyBench.clientCPU,
                                        timeout: Double(seconds) + 30)
        counter.interrupt()
        let deadline = monotonicNanoseconds() + 10_000_000_000
        while counter.isRunning, monotonicNanoseconds() < deadline { usleep(20_000) }
        if counter.isRunning { counter.terminate() }
        counter.waitUntilExit()
        guard let run, run.status == 0, let wrk = try? ProxyWrkOutput(parsing: run.output), wrk.requests > 0,
              let calls = Self.count(output.text()) else { return nil }
        return .init(scenario: scenario, proxy: kind, requests: wrk.requests, syscalls: calls,
                     perRequest: Double(calls) / Double(wrk.requests))
    }

    /// `perf stat -x,` prints `COUNT,,EVENT,...`; "<not counted>" or "<not supported>" give nil.
    static func count(_ text: String) -> Int? {
        text.split(separator: "\n").first { $0.contains("raw_syscalls:sys_enter") }
            .flatMap { Int($0.split(separator: ",", omittingEmptySubsequences: false).first ?? "") }
    }
}
