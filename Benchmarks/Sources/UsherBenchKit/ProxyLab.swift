import Foundation

/// The proxy part's lab: one network namespace of its own (`ub-px-<pid>-<n>`) whose loopback holds
/// the VIP (203.0.113.10) and one address per real server (198.51.100.11…), a folder for the
/// configs and the certificate, and every process started in it. `remove()` stops them and
/// deletes both; SIGTERM/SIGINT/SIGHUP (Tools/bench's timeout) do the same before exiting, and
/// a lab left by a run killed outright (its pid gone) is removed by the next run.
public final class ProxyLab: @unchecked Sendable {
    public static let prefix = "ub-px-"
    public static let vip = "203.0.113.10"
    public static func realAddress(_ i: Int) -> String { "198.51.100.\(11 + i)" }

    public let name: String
    public let directory: String
    private let lock = NSLock()
    private var processes: [Int32: Process] = [:]
    private var removed = false
    /// Labs made by this process so far: each gets a name of its own.
    private static let counterLock = NSLock()
    nonisolated(unsafe) private static var counter = 0
    nonisolated(unsafe) private static var current: ProxyLab?
    nonisolated(unsafe) private static var signalSources: [DispatchSourceSignal] = []

    /// Creates the namespace with `reals` real-server addresses and the folder.
    public init(reals: Int) throws {
        Self.removeStale()
        let n = Self.counterLock.withLock {
            Self.counter += 1
            return Self.counter
        }
        name = Self.prefix + "\(getpid())-\(n)"
        directory = NSTemporaryDirectory() + "usher-bench-proxy-\(getpid())-\(n)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.ip(["netns", "add", name])
        Self.installSignalHandlers(for: self)
        do {
            try Self.ip(["-n", name, "link", "set", "lo", "up"])
            for address in [Self.vip] + (0..<reals).map(Self.realAddress) {
                try Self.ip(["-n", name, "addr", "add", address + "/32", "dev", "lo"])
            }
            // Connection-per-request runs open tens of thousands of connections: the whole port
            // range, and TIME_WAIT ports reused for new outgoing connections.
            for setting in ["net.ipv4.ip_local_port_range=1024 65535", "net.ipv4.tcp_tw_reuse=1", "net.core.somaxconn=4096"] {
                _ = try command(["sysctl", "-q", "-w", setting])
            }
        } catch {
            remove()
            throw error
        }
    }

    /// The arguments that run `args` inside the namespace, pinned to `cpu` when given.
    public func inside(_ args: [String], cpu: Int? = nil) -> [String] {
        inside(args, cpus: cpu.map { "\($0)" })
    }

    /// The arguments that run `args` inside the namespace, held to the CPU list `cpus`
    /// (taskset's form: "1", "0,1") when given.
    public func inside(_ args: [String], cpus: String?) -> [String] {
        ["/usr/bin/nsenter", "--net=/run/netns/\(name)", "--"] + (cpus.map { ["/usr/bin/taskset", "-c", $0] } ?? []) + args
    }

    /// Starts a long-running program in the namespace on `cpu`; its output goes to `log`
    /// (in the lab's folder). nsenter and taskset exec it: the pid is the program's.
    public func start(_ args: [String], cpu: Int, log: String) throws -> Int32 {
        try start(args, cpus: "\(cpu)", log: log)
    }

    /// Starts a long-running program in the namespace on the CPU list `cpus`, as `start(_:cpu:log:)`.
    public func start(_ args: [String], cpus: String, log: String) throws -> Int32 {
        let process = Process()
        let argv = Self.resetSignals + inside(args, cpus: cpus)
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        _ = FileManager.default.createFile(atPath: directory + "/" + log, contents: nil)
        let output = FileHandle(forWritingAtPath: directory + "/" + log)
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { processes[process.processIdentifier] = process }
        return process.processIdentifier
    }

    /// Whether a program started with `start` still runs (it did not refuse its config).
    public func isRunning(_ pid: Int32) -> Bool {
        lock.withLock { processes[pid]?.isRunning ?? false }
    }

    /// The last lines a started program wrote, for error messages.
    public func tail(_ log: String) -> String {
        let text = (try? String(contentsOfFile: directory + "/" + log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(8).joined(separator: "\n")
    }

    /// Runs a short command in the namespace (bounded by `timeout` seconds) and returns its
    /// exit status and output.
    @discardableResult
    public func command(_ args: [String], cpu: Int? = nil, timeout: Double = 30) throws -> (status: Int32, output: String) {
        try Self.run(inside(args, cpu: cpu), timeout: timeout)
    }

    /// Runs a short command in the namespace on the CPU list `cpus`, as `command(_:cpu:timeout:)`.
    @discardableResult
    public func command(_ args: [String], cpus: String, timeout: Double = 30) throws -> (status: Int32, output: String) {
        try Self.run(inside(args, cpus: cpus), timeout: timeout)
    }

    /// Stops a program `start` started (SIGTERM, then SIGKILL after 5 s) and waits for its end.
    public func stop(_ pid: Int32) {
        guard let process = lock.withLock({ processes[pid] }) else { return }
        kill(pid, SIGTERM)
        let deadline = monotonicNanoseconds() + 5_000_000_000
        while process.isRunning, monotonicNanoseconds() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        lock.withLock { processes[pid] = nil }
    }

    /// Stops every started program (SIGTERM, then SIGKILL to what is left of each process
    /// tree), deletes the namespace and the folder. Safe to call twice.
    public func remove() {
        let started: [Process] = lock.withLock {
            if removed { return [] }
            removed = true
            defer { processes = [:] }
            return Array(processes.values)
        }
        guard !(started.isEmpty && !FileManager.default.fileExists(atPath: "/run/netns/\(name)")) else { return }
        var trees: [Int32] = []
        for process in started where process.isRunning {
            trees += ProxyCPU.tree(of: process.processIdentifier)
            kill(process.processIdentifier, SIGTERM)
        }
        let deadline = monotonicNanoseconds() + 3_000_000_000
        while started.contains(where: \.isRunning), monotonicNanoseconds() < deadline { usleep(20_000) }
        for pid in trees where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        Self.killInside(name)
        _ = try? Self.run(["/usr/bin/ip", "netns", "delete", name], timeout: 10)
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { remove() }

    // MARK: - Processes and namespaces

    /// Prefix of every program started: the signals this process ignores while the lab exists
    /// (it handles them to remove the lab) back to their defaults, since ignored signals are
    /// inherited across exec and a child that ignores SIGTERM cannot be stopped by `timeout`.
    static let resetSignals = ["/usr/bin/env", "--default-signal=HUP,INT,TERM"]

    static func ip(_ args: [String]) throws {
        let (status, output) = try run(["/usr/bin/ip"] + args, timeout: 10)
        guard status == 0 else {
            throw BenchCheckError(description: "proxy lab: ip \(args.joined(separator: " ")) failed (\(status)): \(output)")
        }
    }

    /// Runs a program to its end (killed after `timeout` seconds) and returns its status and
    /// output (stdout and stderr together).
    static func run(_ argv: [String], timeout: Double) throws -> (status: Int32, output: String) {
        let argv = resetSignals + argv
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = DataCollector(pipe.fileHandleForReading)
        let deadline = monotonicNanoseconds() + UInt64(timeout * 1e9)
        while process.isRunning, monotonicNanoseconds() < deadline { usleep(2_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        return (process.terminationStatus, data.text())
    }

    /// Kills what still runs in a namespace (`ip netns pids`): only processes of this lab.
    static func killInside(_ namespace: String) {
        guard let (_, pids) = try? run(["/usr/bin/ip", "netns", "pids", namespace], timeout: 10) else { return }
        for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
    }

    /// Removes the labs of earlier runs whose process is gone (killed with SIGKILL).
    static func removeStale() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for name in names where name.hasPrefix(prefix) {
            let owner = name.dropFirst(prefix.count).split(separator: "-").first ?? ""
            guard let pid = Int32(owner), kill(pid, 0) != 0, errno == ESRCH else { continue }
            Progress.say("proxy: removing the lab of an earlier run that was killed (\(name))")
            killInside(name)
            _ = try? run(["/usr/bin/ip", "netns", "delete", name], timeout: 10)
            try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "usher-bench-proxy-" + name.dropFirst(prefix.count))
        }
    }

    /// On SIGTERM, SIGINT or SIGHUP: remove the lab, then exit as the signal would have.
    static func installSignalHandlers(for lab: ProxyLab) {
        current = lab
        guard signalSources.isEmpty else { return }
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                Progress.say("proxy: signal \(sig), removing the lab")
                current?.remove()
                exit(128 + sig)
            }
            source.resume()
            signalSources.append(source)
        }
    }
}

/// Reads a pipe to its end on a thread of its own, so that a chatty program never blocks on a
/// full pipe while we wait for it.
final class DataCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
