import Foundation

/// Part 5: the proxy tier. Usher's proxy, HAProxy and nginx, one worker each on CPU 1, in front
/// of the same nginx real servers (CPU 0), loaded by wrk (CPU 0, one thread) in four ways:
/// HTTP keep-alive, a new connection per request, TLS 1.3 keep-alive, a TLS handshake per
/// request. Every run records the CPU time of each side, so that a figure limited by wrk or by
/// a busy core is said to be so. Runs happen in one network namespace of their own, over its
/// loopback (`ProxyLab`).
public struct ProxyBench {
    public var rounds = 5
    public var seconds = 5
    public var connections = 50
    public var reals = 3
    public var profileSeconds = 4
    /// The `usher` executable (release build): by default next to this program.
    public var usher: String
    public var scenarios = ProxyResult.Scenario.allCases
    /// The loads run again with two workers per proxy on both CPUs (those with a target).
    public var twoCoreScenarios = ProxyResult.Scenario.allCases.filter(\.hasTarget)

    public init() {
        let here = URL(fileURLWithPath: CommandLine.arguments.first ?? "usher-bench").resolvingSymlinksInPath()
        usher = here.deletingLastPathComponent().appendingPathComponent("usher").path
    }

    static let proxyCPU = 1, clientCPU = 0
    /// Both CPUs, as taskset writes them: the two-core runs.
    static let bothCPUs = "0,1"

    public func run() throws -> ProxyResult {
        try checkTools()
        let lab = try ProxyLab(reals: reals)
        defer { lab.remove() }
        let peers = ProxyPeers(directory: lab.directory, reals: reals)
        try peers.write()
        for kind in ProxyPeers.Kind.allCases { try ProxyChecks(lab: lab, peers: peers).checkConfig(kind) }
        Progress.say("proxy: lab \(lab.name) (loopback, VIP \(ProxyLab.vip), \(reals) reals); configs in \(lab.directory)")

        var realPids: [Int32] = []
        for i in 0..<reals {
            let pid = try lab.start(peers.realCommand(i), cpu: Self.clientCPU, log: "real\(i + 1).log")
            realPids.append(pid)
            try waitForListener(lab, pid: pid, url: "http://\(ProxyLab.realAddress(i)):\(peers.realPort)/", log: "real\(i + 1).log")
        }
        var proxyPids: [ProxyPeers.Kind: Int32] = [:]
        for kind in ProxyPeers.Kind.allCases {
            let pid = try lab.start(peers.command(kind, usher: usher), cpu: Self.proxyCPU, log: "\(kind.rawValue).log")
            proxyPids[kind] = pid
            try waitForListener(lab, pid: pid, url: "http://\(ProxyLab.vip):\(peers.httpPort(kind))/", log: "\(kind.rawValue).log")
        }

        var result = ProxyResult(rounds: rounds, seconds: seconds, connections: connections, reals: reals,
                                 bodyBytes: ProxyPeers.body.utf8.count, versions: versions())
        for kind in ProxyPeers.Kind.allCases {
            result.checks.append(try ProxyChecks(lab: lab, peers: peers).check(kind))
        }
        let load = ProxyLoad(lab: lab, peers: peers, connections: connections, realPids: realPids)
        Progress.say("proxy: warm-up, 1 s per proxy and scenario")
        for kind in ProxyPeers.Kind.allCases {
            for scenario in scenarios { _ = try load.measure(kind, pid: proxyPids[kind]!, scenario, seconds: 1, round: 0) }
        }

        (result.rows, result.ratios) = try measureRounds(load, scenarios: scenarios, proxyPids: proxyPids, realPids: realPids)
        result.targets = Self.targets(result.rows)
        let counter = ProxySyscalls(load: load, seconds: seconds)
        for scenario in scenarios where scenario == .httpKeepAlive || scenario == .tlsKeepAlive {
            for kind in ProxyPeers.Kind.allCases {
                if let count = try counter.perRequest(kind, pid: proxyPids[kind]!, scenario) { result.syscalls.append(count) }
            }
        }
        let behind = result.targets.filter { !$0.met }.map(\.scenario)
        if !behind.isEmpty, let pid = proxyPids[.usher] {
            let profiler = ProxyProfiler(lab: lab, peers: peers, connections: connections, seconds: profileSeconds)
            for scenario in behind where scenario == .httpKeepAlive || scenario == .tlsKeepAlive {
                Progress.say("proxy: Usher is behind HAProxy on \(scenario.rawValue): perf record -g for \(profileSeconds) s")
                if let profile = try profiler.profile(pid: pid, scenario: scenario) { result.profiles.append(profile) }
            }
        }
        if !twoCoreScenarios.isEmpty {
            result.twoCores = try runTwoCores(lab: lab, peers: peers, onePerCore: proxyPids, realPids: realPids)
        }
        return result
    }

    /// Every round of `scenarios` against every proxy, a different proxy first each round; the
    /// rows and Usher's ratios to the peers.
    func measureRounds(_ load: ProxyLoad, scenarios: [ProxyResult.Scenario], proxyPids: [ProxyPeers.Kind: Int32],
                       realPids: [Int32]) throws -> ([ProxyResult.Row], [ProxyResult.Ratio]) {
        var samples: [ProxyResult.Scenario: [ProxyPeers.Kind: [ProxyResult.Sample]]] = [:]
        let kinds = ProxyPeers.Kind.allCases
        let lab = load.lab
        for round in 1...rounds {
            for scenario in scenarios {
                // Each round starts with another proxy, so that none always runs first.
                for k in 0..<kinds.count {
                    let kind = kinds[(k + round) % kinds.count]
                    let sample = try load.measure(kind, pid: proxyPids[kind]!, scenario, seconds: seconds, round: round)
                    try checkAlive(lab, proxyPids, realPids)
                    Progress.say("proxy: \(load.bothCores ? "two cores, " : "")round \(round)/\(rounds) \(scenario.rawValue) \(kind.rawValue): "
                        + String(format: "%.0f req/s, p99 %.2f ms, proxy %.0f%% wrk %.0f%% reals %.0f%% of a core (CPU0 %.0f%%, CPU1 %.0f%% busy) → %@",
                                 sample.wrk.requestsPerSecond, sample.wrk.p99Ms, sample.proxyCpu * 100, sample.wrkCpu * 100,
                                 sample.realsCpu * 100, sample.cpu0Busy * 100, sample.cpu1Busy * 100, sample.bottleneck.rawValue))
                    samples[scenario, default: [:]][kind, default: []].append(sample)
                }
            }
        }
        var rows: [ProxyResult.Row] = [], ratios: [ProxyResult.Ratio] = []
        for scenario in scenarios {
            for kind in kinds {
                if let row = Self.row(scenario, kind, samples[scenario]?[kind] ?? []) { rows.append(row) }
            }
            for peer in [ProxyPeers.Kind.haproxy, .nginx] {
                if let ratio = Self.ratio(scenario, peer, samples[scenario] ?? [:]) { ratios.append(ratio) }
            }
        }
        return (rows, ratios)
    }

    /// The two-core runs: the one-worker proxies stopped, the reals let onto both CPUs, each
    /// proxy started again with two workers on both CPUs, wrk with two threads there too.
    func runTwoCores(lab: ProxyLab, peers onePerCore: ProxyPeers, onePerCore proxies: [ProxyPeers.Kind: Int32],
                     realPids: [Int32]) throws -> ProxyResult.TwoCores {
        Progress.say("proxy: two workers per proxy on CPUs \(Self.bothCPUs), wrk and the reals there too")
        for pid in proxies.values { lab.stop(pid) }
        for pid in realPids {
            let (status, output) = try ProxyLab.run(["/usr/bin/taskset", "-a", "-p", "-c", Self.bothCPUs, "\(pid)"], timeout: 10)
            guard status == 0 else { throw BenchCheckError(description: "proxy: taskset on real server \(pid) failed: \(output)") }
        }
        var peers = onePerCore
        peers.workers = 2
        try peers.writeProxyConfigs()
        var proxyPids: [ProxyPeers.Kind: Int32] = [:]
        for kind in ProxyPeers.Kind.allCases {
            try ProxyChecks(lab: lab, peers: peers).checkConfig(kind)
            let log = "\(kind.rawValue)\(peers.tag).log"
            let pid = try lab.start(peers.command(kind, usher: usher), cpus: Self.bothCPUs, log: log)
            proxyPids[kind] = pid
            try waitForListener(lab, pid: pid, url: "http://\(ProxyLab.vip):\(peers.httpPort(kind))/", log: log)
        }
        var load = ProxyLoad(lab: lab, peers: peers, connections: connections, realPids: realPids)
        load.bothCores = true
        for kind in ProxyPeers.Kind.allCases {
            for scenario in twoCoreScenarios { _ = try load.measure(kind, pid: proxyPids[kind]!, scenario, seconds: 1, round: 0) }
        }
        var out = ProxyResult.TwoCores(scenarios: twoCoreScenarios)
        (out.rows, out.ratios) = try measureRounds(load, scenarios: twoCoreScenarios, proxyPids: proxyPids, realPids: realPids)
        out.targets = Self.twoCoreTargets(out.rows)
        return out
    }

    // MARK: - Starting and watching the programs

    func checkTools() throws {
        for (tool, path) in [("haproxy", "/usr/sbin/haproxy"), ("nginx", "/usr/sbin/nginx"), ("wrk", "/usr/bin/wrk"),
                             ("curl", "/usr/bin/curl"), ("openssl", "/usr/bin/openssl")]
        where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchCheckError(description: "proxy: \(tool) is not installed (\(path)): run Tools/install-deps")
        }
        guard FileManager.default.isExecutableFile(atPath: usher) else {
            throw BenchCheckError(description: "proxy: no usher executable at \(usher): build it with "
                + "`swift build -c release --product usher` in the same scratch path, or pass --usher PATH")
        }
    }

    /// Waits (up to 10 s) until `url` answers 200 in the lab, failing early if the program exits.
    func waitForListener(_ lab: ProxyLab, pid: Int32, url: String, log: String) throws {
        let deadline = monotonicNanoseconds() + 10_000_000_000
        while monotonicNanoseconds() < deadline {
            guard lab.isRunning(pid) else {
                throw BenchCheckError(description: "proxy: \(log.dropLast(4)) exited at start:\n\(lab.tail(log))")
            }
            let (_, code) = try lab.command(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "1", url], timeout: 5)
            if code == "200" { return }
            usleep(100_000)
        }
        throw BenchCheckError(description: "proxy: \(url) did not answer 200 within 10 s (\(log.dropLast(4))):\n\(lab.tail(log))")
    }

    func checkAlive(_ lab: ProxyLab, _ proxies: [ProxyPeers.Kind: Int32], _ reals: [Int32]) throws {
        for (kind, pid) in proxies where !lab.isRunning(pid) {
            throw BenchCheckError(description: "proxy: \(kind.title) exited during the run:\n\(lab.tail("\(kind.rawValue).log"))")
        }
        for (i, pid) in reals.enumerated() where !lab.isRunning(pid) {
            throw BenchCheckError(description: "proxy: real server \(i + 1) exited during the run:\n\(lab.tail("real\(i + 1).log"))")
        }
    }

    /// Short version strings: "HAProxy 2.6.12-1+deb12u4", "nginx/1.22.1", "wrk 4.1.0-3+b2", "OpenSSL 3.0.19".
    func versions() -> [String: String] {
        func line(_ argv: [String], _ match: String) -> [Substring] {
            let output = (try? ProxyLab.run(argv, timeout: 10).output) ?? ""
            return output.split(separator: "\n").first { $0.contains(match) }?.split(separator: " ") ?? []
        }
        let haproxy = line(["/usr/sbin/haproxy", "-v"], "version"), nginx = line(["/usr/sbin/nginx", "-v"], "version")
        let wrk = line(["/usr/bin/wrk", "-v"], "wrk"), openssl = line(["/usr/bin/openssl", "version"], "OpenSSL")
        return ["haproxy": "HAProxy " + (haproxy.dropFirst(2).first.map(String.init) ?? "?"),
                "nginx": nginx.last.map(String.init) ?? "nginx",
                "wrk": "wrk " + (wrk.dropFirst().first.map { String($0.split(separator: "/").last ?? $0) } ?? "?"),
                "openssl": openssl.prefix(2).joined(separator: " ")]
    }

    // MARK: - Summaries

    static func row(_ scenario: ProxyResult.Scenario, _ kind: ProxyPeers.Kind, _ samples: [ProxyResult.Sample]) -> ProxyResult.Row? {
        guard let rps = Summary(samples.map(\.wrk.requestsPerSecond)) else { return nil }
        func s(_ f: (ProxyResult.Sample) -> Double) -> Summary { Summary(samples.map(f))! }
        let counts = Dictionary(grouping: samples, by: \.bottleneck).mapValues(\.count)
        let (bottleneck, n) = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key.rawValue > $1.key.rawValue) }!
        return .init(scenario: scenario, proxy: kind, requestsPerSecond: rps, p50Ms: s(\.wrk.p50Ms), p99Ms: s(\.wrk.p99Ms),
                     requestsPerProxyCpuSecond: s(\.requestsPerProxyCpuSecond), proxyCpu: s(\.proxyCpu), wrkCpu: s(\.wrkCpu),
                     realsCpu: s(\.realsCpu), cpu0Busy: s(\.cpu0Busy), cpu1Busy: s(\.cpu1Busy), bottleneck: bottleneck,
                     bottleneckRounds: n, errors: samples.map(\.wrk.socketErrors).reduce(0, +),
                     non2xx: samples.map(\.wrk.non2xx).reduce(0, +), samples: samples)
    }

    static func ratio(_ scenario: ProxyResult.Scenario, _ peer: ProxyPeers.Kind,
                      _ samples: [ProxyPeers.Kind: [ProxyResult.Sample]]) -> ProxyResult.Ratio? {
        guard let ours = samples[.usher], let theirs = samples[peer] else { return nil }
        let pairs = zip(ours, theirs).filter { $0.round == $1.round }
        guard let rps = Summary(pairs.map { $0.wrk.requestsPerSecond / max($1.wrk.requestsPerSecond, 1e-9) }),
              let perCPU = Summary(pairs.map { $0.requestsPerProxyCpuSecond / max($1.requestsPerProxyCpuSecond, 1e-9) })
        else { return nil }
        return .init(scenario: scenario, peer: peer, requestsPerSecond: rps, requestsPerProxyCpuSecond: perCPU)
    }

    static func twoCoreTargets(_ rows: [ProxyResult.Row]) -> [ProxyResult.TwoCoreTarget] {
        ProxyResult.Scenario.allCases.compactMap { scenario in
            guard let ours = rows.first(where: { $0.scenario == scenario && $0.proxy == .usher }),
                  let theirs = rows.first(where: { $0.scenario == scenario && $0.proxy == .haproxy }) else { return nil }
            return .init(scenario: scenario, usherRequestsPerSecond: ours.requestsPerSecond.median,
                         haproxyRequestsPerSecond: theirs.requestsPerSecond.median, usherP99Ms: ours.p99Ms.median,
                         haproxyP99Ms: theirs.p99Ms.median,
                         requestsMet: ours.requestsPerSecond.median >= theirs.requestsPerSecond.median,
                         p99Met: ours.p99Ms.median <= theirs.p99Ms.median)
        }
    }

    static func targets(_ rows: [ProxyResult.Row]) -> [ProxyResult.Target] {
        ProxyResult.Scenario.allCases.filter(\.hasTarget).compactMap { scenario in
            guard let ours = rows.first(where: { $0.scenario == scenario && $0.proxy == .usher }),
                  let theirs = rows.first(where: { $0.scenario == scenario && $0.proxy == .haproxy }) else { return nil }
            let usher = ours.requestsPerProxyCpuSecond.median, haproxy = theirs.requestsPerProxyCpuSecond.median
            return .init(scenario: scenario, usher: usher, haproxy: haproxy, met: usher >= haproxy,
                         proxyBound: ours.bottleneck == .proxy && theirs.bottleneck == .proxy)
        }
    }
}
