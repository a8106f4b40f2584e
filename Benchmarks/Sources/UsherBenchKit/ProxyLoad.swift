import Foundation

/// One measured wrk run against one proxy, with the CPU time of every side read around it:
/// the proxy's process tree and the reals' from /proc/PID/stat, wrk's from this process's
/// reaped children (wrk is the only child that exits during the run), and each CPU's busy time
/// from /proc/stat (which also shows work that is not ours).
struct ProxyLoad {
    let lab: ProxyLab
    let peers: ProxyPeers
    let connections: Int
    let realPids: [Int32]
    /// Everything on both CPUs (the two-core runs: wrk with two threads, proxies with two
    /// workers) instead of wrk and the reals on CPU 0 and the proxy on CPU 1.
    var bothCores = false

    func url(_ kind: ProxyPeers.Kind, _ scenario: ProxyResult.Scenario) -> String {
        scenario.tls ? "https://\(ProxyLab.vip):\(peers.httpsPort(kind))/" : "http://\(ProxyLab.vip):\(peers.httpPort(kind))/"
    }

    /// wrk's arguments: one thread (two on both cores), `connections` connections,
    /// `Connection: close` for the scenarios with a new connection (and TLS handshake) per request.
    func wrkArguments(_ kind: ProxyPeers.Kind, _ scenario: ProxyResult.Scenario, seconds: Int) -> [String] {
        ["wrk", "-t\(bothCores ? 2 : 1)", "-c\(connections)", "-d\(seconds)s", "--timeout", "5s", "--latency"]
            + (scenario.closes ? ["-H", "Connection: close"] : []) + [url(kind, scenario)]
    }

    func measure(_ kind: ProxyPeers.Kind, pid: Int32, _ scenario: ProxyResult.Scenario, seconds: Int, round: Int) throws -> ProxyResult.Sample {
        let proxyBefore = ProxyCPU.treeSeconds(of: pid)
        let realsBefore = realPids.map { ProxyCPU.treeSeconds(of: $0) }.reduce(0, +)
        let busyBefore = ProxyCPU.busyPerCPU()
        let wrkBefore = ProxyCPU.reapedChildrenSeconds()
        let start = monotonicNanoseconds()
        let (status, output) = try lab.command(wrkArguments(kind, scenario, seconds: seconds),
                                               cpus: bothCores ? ProxyBench.bothCPUs : "\(ProxyBench.clientCPU)",
                                               timeout: Double(seconds) + 30)
        let wall = Double(monotonicNanoseconds() - start) / 1e9
        let wrkCpu = ProxyCPU.reapedChildrenSeconds() - wrkBefore
        let proxyCpu = ProxyCPU.treeSeconds(of: pid) - proxyBefore
        let realsCpu = realPids.map { ProxyCPU.treeSeconds(of: $0) }.reduce(0, +) - realsBefore
        let busyAfter = ProxyCPU.busyPerCPU()
        guard status == 0 else {
            throw BenchCheckError(description: "proxy: wrk against \(kind.title) (\(scenario.rawValue)) failed (\(status)): \(output)")
        }
        let wrk = try ProxyWrkOutput(parsing: output)
        func busy(_ cpu: Int) -> Double { ((busyAfter[cpu] ?? 0) - (busyBefore[cpu] ?? 0)) / wall }
        let shares = (proxy: proxyCpu / wall, wrk: wrkCpu / wall, cpu0: busy(ProxyBench.clientCPU), cpu1: busy(ProxyBench.proxyCPU))
        return .init(round: round, wrk: wrk, wallSeconds: wall, proxyCpu: shares.proxy, wrkCpu: shares.wrk,
                     realsCpu: realsCpu / wall, cpu0Busy: shares.cpu0, cpu1Busy: shares.cpu1,
                     bottleneck: bothCores
                        ? .onBothCores(ours: shares.proxy + shares.wrk + realsCpu / wall, cpu0: shares.cpu0, cpu1: shares.cpu1)
                        : .of(proxy: shares.proxy, wrk: shares.wrk, reals: realsCpu / wall, clientCore: shares.cpu0,
                              proxyCore: shares.cpu1),
                     requestsPerProxyCpuSecond: Double(wrk.requests) / max(proxyCpu, 0.01))
    }
}
