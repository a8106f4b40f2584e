import Foundation
import Logging
import NIOCore
import NIOPosix
import UsherCore
import UsherHealth

/// Part 6: the health-check engine at scale. 10,000 reals (IPv6 addresses of one prefix made
/// local in a server namespace with one route, answered by one nginx worker) checked every 2 s
/// from one engine on one event loop in a checker namespace, TCP and HTTP in turn: the engine's
/// CPU share of one core (this process's own CPU time; nginx is another process) and how evenly
/// the checks spread over the interval.
///
/// On a veth pair the kernel processes a frame for the peer in the sender's own context, so the
/// servers' side of every connection (SYN to SYN-ACK, the reset) would be charged to the engine.
/// With two or more cores the engine runs on core 0 and the servers' veth steers its frames to
/// the others (RPS): each side's TCP work lands where it would with the servers on other hosts.
public struct HealthBench {
    public var targets = 10_000
    public var interval = 2.0
    public var seconds = 20.0
    public var warmup = 5.0
    public var kinds: [String] = ["tcp", "http"]

    public init() {}

    public func run() throws -> HealthBenchResult {
        let tag = String(UInt32.random(in: 0...0xffffff), radix: 16)
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let split = cores >= 2 && Self.pinToCoreZero()
        let lab = HealthBenchLab(tag: tag, serverCores: split ? (1 << min(cores, 32)) - 2 : nil)
        try lab.build()
        defer { lab.remove() }
        var runs: [HealthBenchResult.Run] = []
        // The engine's own cost first; then, for comparison, what the lab charges it when the
        // servers' side is processed in its context too.
        for inline in split ? [false, true] : [true] {
            if split { try lab.steerServerFrames(inline ? nil : lab.serverCores) }
            for kind in kinds {
                Progress.say("health: \(targets) \(kind) checks every \(interval) s for \(Int(seconds)) s (after \(Int(warmup)) s to spread)"
                             + (split ? (inline ? ", the servers' side in the engine's context" : ", the servers' side on other cores") : ""))
                var run = try measure(kind: kind, lab: lab)
                run.serversInline = inline
                runs.append(run)
            }
        }
        return HealthBenchResult(targets: targets, intervalSeconds: interval, seconds: seconds, runs: runs,
                                 serversOnOtherCores: split)
    }

    /// Pins this thread, and the threads it starts from now on (the engine's event loop and the
    /// prober it starts), to core 0.
    private static func pinToCoreZero() -> Bool {
        // This thread's id: /proc/thread-self links to PID/task/TID.
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
              let thread = link.split(separator: "/").last.map(String.init) else { return false }
        return (try? LabShell.run(["taskset", "-p", "-c", "0", thread])) != nil
    }

    private func measure(kind: String, lab: HealthBenchLab) throws -> HealthBenchResult.Run {
        let group = try LabShell.inNamespace(lab.checker) { MultiThreadedEventLoopGroup(numberOfThreads: 1) }
        defer { try? group.syncShutdownGracefully() }
        var logger = Logger(label: "usher.bench.health")
        logger.logLevel = .error
        let engine = HealthEngine(group: group, logger: logger)
        let check = HealthCheck(kind: kind == "http" ? .http(HTTPCheck(path: "/")) : .tcp,
                                intervalSeconds: interval, timeoutSeconds: 1, rise: 2, fall: 3)
        var checks: [HealthTarget: HealthCheck] = [:]
        for i in 0..<targets {
            checks[HealthTarget(service: "bench", address: HealthBenchLab.address(i), port: 80)] = check
        }
        engine.update(checks)
        Thread.sleep(forTimeInterval: warmup)
        let cpu0 = processCPUSeconds(), wall0 = monotonicNanoseconds()
        Thread.sleep(forTimeInterval: seconds)
        let cpu1 = processCPUSeconds(), wall = Double(monotonicNanoseconds() - wall0) / 1e9
        let (user, system) = (cpu1.user - cpu0.user, cpu1.system - cpu0.system)
        let end = Date()
        let snapshot = engine.snapshot()
        let semaphore = DispatchSemaphore(value: 0)
        Task { await engine.stop(); semaphore.signal() }
        semaphore.wait()
        // Where in the last interval each target's last check ended: even spread = equal buckets.
        var buckets = [Int](repeating: 0, count: 20)
        var stale = 0, failed = 0, down = 0
        for status in snapshot.values {
            if status.state == .down { down += 1 }
            if status.lastPassed == false { failed += 1 }
            guard let last = status.lastCheck, end.timeIntervalSince(last) <= interval * 1.1 + 1 else {
                stale += 1
                continue
            }
            let age = end.timeIntervalSince(last)
            guard age < interval else { continue }
            buckets[min(19, Int(age / interval * 20))] += 1
        }
        let mean = Double(buckets.reduce(0, +)) / Double(buckets.count)
        return HealthBenchResult.Run(
            kind: kind, cpuShareOfOneCore: (user + system) / wall, userShareOfOneCore: user / wall,
            checksPerSecond: Double(targets) / interval,
            down: down, lastFailed: failed, stale: stale,
            busiestTenthOverMean: mean > 0 ? Double(buckets.max() ?? 0) / mean : 0,
            quietestTenthOverMean: mean > 0 ? Double(buckets.min() ?? 0) / mean : 0, slices: buckets)
    }

    /// User and system CPU seconds of this process (every thread).
    private func processCPUSeconds() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }
}

/// What part 6 measured.
public struct HealthBenchResult: Codable, Sendable {
    public struct Run: Codable, Sendable {
        public var kind: String
        /// CPU seconds per second of the engine's process: 0.25 is a quarter of one core.
        public var cpuShareOfOneCore: Double
        /// The part of it in user space (the rest is the kernel's, on the engine's behalf).
        public var userShareOfOneCore: Double?
        /// The servers' side of each connection processed in the engine's context (the veth's
        /// way) and counted in its CPU; false: on the other cores.
        public var serversInline: Bool?
        public var checksPerSecond: Double
        /// Targets down at the end (should be 0: every server answers).
        public var down: Int
        public var lastFailed: Int
        /// Targets whose last check is older than an interval (+10 %) plus the timeout.
        public var stale: Int
        /// Checks that ended in the busiest (quietest) 20th of the last interval, over the mean:
        /// 1.0 is a perfectly even spread.
        public var busiestTenthOverMean: Double
        public var quietestTenthOverMean: Double
        /// How many last checks ended in each 20th of the last interval, the most recent first.
        public var slices: [Int]?
    }

    public var targets: Int
    public var intervalSeconds: Double
    public var seconds: Double
    public var runs: [Run]
    /// The engine on core 0, so that the servers' side of the veth could be steered to the
    /// other cores (the runs with `serversInline` false); nil or false: one core, or not pinned.
    public var serversOnOtherCores: Bool?
}

/// The namespaces of part 6: `uhc-TAG-c` (the engine's sockets) and `uhc-TAG-s` (every real's
/// address: 2001:db8:10::/112 made local by one route, one nginx worker on [::]:80), joined by
/// a veth pair. Removed by `remove()`, also after a failure half-way.
struct HealthBenchLab {
    let tag: String
    /// The cores (a mask) that process the frames reaching the servers; nil: wherever they are sent.
    let serverCores: Int?
    var checker: String { "uhc-\(tag)-c" }
    var servers: String { "uhc-\(tag)-s" }
    var directory: String { "/tmp/usher-bench-health-\(tag)" }

    /// The i-th real: 2001:db8:10::(i+1).
    static func address(_ i: Int) -> IPAddress {
        IPAddress("2001:db8:10::\(String(i + 1, radix: 16))")!
    }

    func build() throws {
        do {
            try LabShell.run(["ip", "netns", "add", checker])
            try LabShell.run(["ip", "netns", "add", servers])
            try LabShell.run(["ip", "-n", checker, "link", "add", "c0", "type", "veth", "peer", "name", "s0", "netns", servers])
            for (ns, dev, addr) in [(checker, "c0", "2001:db8:ffff::1/64"), (servers, "s0", "2001:db8:ffff::2/64")] {
                try LabShell.run(["ip", "-n", ns, "link", "set", "lo", "up"])
                try LabShell.run(["ip", "-n", ns, "addr", "add", addr, "dev", dev, "nodad"])
                try LabShell.run(["ip", "-n", ns, "link", "set", dev, "up"])
            }
            try LabShell.run(["ip", "-n", servers, "-6", "route", "add", "local", "2001:db8:10::/112", "dev", "lo"])
            try LabShell.run(["ip", "-n", checker, "-6", "route", "add", "2001:db8:10::/112", "via", "2001:db8:ffff::2"])
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let conf = """
                worker_processes 1;
                pid \(directory)/nginx.pid;
                error_log \(directory)/error.log;
                events { worker_connections 8192; }
                http {
                    access_log off;
                    client_body_temp_path \(directory); proxy_temp_path \(directory); fastcgi_temp_path \(directory);
                    uwsgi_temp_path \(directory); scgi_temp_path \(directory);
                    server { listen [::]:80 ipv6only=on backlog=4096; location / { return 200 "ok\\n"; } }
                }
                """
            try conf.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
            // nginx forks a daemon that keeps whatever it inherited: started without pipes, waited for
            // with waitpid (Foundation.Process would wait for the daemon's end).
            let exit = try ChildProcess.run(path: "/usr/sbin/ip", arguments: ["netns", "exec", servers, "nginx", "-c", directory + "/nginx.conf"],
                                            timeout: 20)
            guard exit == .exited(0) else {
                throw LabShell.Failure(description: "nginx did not start (\(exit)); see \(directory)/error.log")
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Frames reaching the servers are processed on `cores` (a mask, RPS), or nil: in the
    /// context of whoever sent them (the veth's way).
    func steerServerFrames(_ cores: Int?) throws {
        try LabShell.run(["ip", "netns", "exec", servers, "sh", "-c",
                          "echo \(String(cores ?? 0, radix: 16)) > /sys/class/net/s0/queues/rx-0/rps_cpus"])
    }

    func remove() {
        if let pid = (try? String(contentsOfFile: directory + "/nginx.pid", encoding: .utf8))
            .flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            kill(pid, SIGTERM)
        }
        _ = try? LabShell.run(["ip", "netns", "del", checker])
        _ = try? LabShell.run(["ip", "netns", "del", servers])
        try? FileManager.default.removeItem(atPath: directory)
    }
}
