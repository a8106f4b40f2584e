import Foundation
import Logging
import ServiceLifecycle
import UsherCore
import UsherHealth

/// Runs keepalived for the daemon, as one service of its `ServiceGroup`: renders its config
/// into the state directory, checks it (`keepalived --config-test`), starts it in the daemon's
/// network namespace, hears its role from the notify FIFO, renders again when the applied
/// config changes (SIGHUP to keepalived), starts it again when it dies (`RestartBackoff`), and on graceful
/// shutdown stops it with SIGTERM: keepalived then sends a priority-0 advertisement and drops
/// the VIPs, so the peer takes over at once.
public struct KeepalivedSupervisor: Service {
    /// Debian's keepalived.
    public static let defaultExecutable = "/usr/sbin/keepalived"
    static let tick = Duration.milliseconds(20)

    /// The files of keepalived in the daemon's state directory.
    public struct Files: Sendable {
        public let config, fifo, log, pid, vrrpPID, testLog: String

        public init(stateDirectory: String) {
            config = stateDirectory + "/keepalived.conf"
            fifo = stateDirectory + "/keepalived.fifo"
            log = stateDirectory + "/keepalived.log"
            pid = stateDirectory + "/keepalived.pid"
            vrrpPID = stateDirectory + "/keepalived-vrrp.pid"
            testLog = stateDirectory + "/keepalived-test.log"
        }
    }

    let executable: String
    let files: Files
    let source: String
    let currentConfig: @Sendable () throws -> BalancerConfig
    let onStatus: @Sendable (HAStatus) -> Void
    let logger: Logger

    /// `source`: the usher config file (named in keepalived's); `currentConfig`: the applied
    /// config, read again every second; `onStatus`: told every change of role.
    public init(
        executable: String = KeepalivedSupervisor.defaultExecutable, stateDirectory: String, source: String,
        currentConfig: @escaping @Sendable () throws -> BalancerConfig, logger: Logger,
        onStatus: @escaping @Sendable (HAStatus) -> Void
    ) throws(HAError) {
        guard access(executable, X_OK) == 0 else { throw .missingKeepalived(executable) }
        self.executable = executable
        self.files = Files(stateDirectory: stateDirectory)
        self.source = source
        self.currentConfig = currentConfig
        self.logger = logger
        self.onStatus = onStatus
    }

    public func run() async throws {
        let config = try currentConfig()
        guard let ha = config.ha else { throw HAError("the applied config has no `ha:` section: keepalived is not started") }
        var text = try render(config)
        try check(text)
        stopLeftover()
        let fifo = try NotifyFIFO(path: files.fifo) // a new one: nothing the old keepalived wrote
        var status = HAStatus(role: .starting, since: Date(), interface: ha.interface, virtualRouterID: ha.virtualRouterID,
                              peers: KeepalivedConfig.remotePeers(of: ha, localAddresses: LocalAddresses.current()).map(\.description))
        var child: ChildProcess? = try start()
        var backoff = RestartBackoff(startedAt: .now)
        status.keepalivedPID = child?.pid
        onStatus(status)
        var nextLook = ContinuousClock.now + .seconds(1)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for line in fifo.lines() {
                guard let role = HARole(notifyLine: line, instance: KeepalivedConfig.instance), role != status.role else { continue }
                logger.notice("ha: this balancer is now \(role.rawValue)", metadata: ["was": "\(status.role.rawValue)"])
                status.role = role
                status.since = Date()
                onStatus(status)
            }
            if let running = child, let exit = running.poll() {
                running.killGroup() // its VRRP process, should it outlive it
                let at = backoff.exited(at: .now)
                logger.error("ha: keepalived exited (\(exit)); starting it again in \(at - .now)", metadata: ["log": "\(files.log)"])
                child = nil
                status.role = .stopped
                status.since = Date()
                status.keepalivedPID = nil
                onStatus(status)
            }
            if child == nil, backoff.due(at: .now) {
                do {
                    child = try start()
                    backoff.started(at: .now)
                    status.restarts += 1
                    status.role = .starting
                    status.keepalivedPID = child?.pid
                    onStatus(status)
                } catch {
                    logger.error("ha: \(error)")
                    _ = backoff.exited(at: .now)
                }
            }
            if ContinuousClock.now >= nextLook {
                nextLook = .now + .seconds(1)
                if let changed = renderIfChanged(from: text) {
                    text = changed
                    if let running = child { kill(running.pid, SIGHUP) }
                    logger.notice("ha: the applied config changed; keepalived reloads its addresses")
                }
            }
            try? await Task.sleep(for: Self.tick)
        }
        if let running = child { stop(running) }
        status.role = .stopped
        status.since = Date()
        status.keepalivedPID = nil
        onStatus(status)
    }

    /// Throws what keepalived would refuse in the config rendered from `config`, before the
    /// daemon applies anything (the daemon then stops with that error instead of starting);
    /// and stops a keepalived a previous daemon left running, before this one listens anywhere.
    public func preflight(_ config: BalancerConfig) throws(HAError) {
        stopLeftover()
        try check(try KeepalivedConfig.render(config, localAddresses: LocalAddresses.current(), notifyFIFO: files.fifo,
                                              source: source))
    }

    /// keepalived's config for `config`, written to its file.
    private func render(_ config: BalancerConfig) throws(HAError) -> String {
        let text = try KeepalivedConfig.render(config, localAddresses: LocalAddresses.current(), notifyFIFO: files.fifo,
                                               source: source)
        do {
            try AtomicFile.write(Data(text.utf8), to: files.config)
        } catch {
            throw HAError("cannot write \(files.config): \(error)")
        }
        return text
    }

    /// The new text when the applied config renders differently and keepalived accepts it;
    /// nil when nothing changed, or the new one is refused (logged; keepalived keeps the old).
    private func renderIfChanged(from old: String) -> String? {
        do {
            let config = try currentConfig()
            guard config.ha != nil else { return nil }
            let text = try KeepalivedConfig.render(config, localAddresses: LocalAddresses.current(), notifyFIFO: files.fifo,
                                                   source: source)
            guard text != old else { return nil }
            try check(text)
            try AtomicFile.write(Data(text.utf8), to: files.config)
            return text
        } catch {
            logger.error("ha: keepalived keeps its addresses: \(error)")
            return nil
        }
    }

    /// `keepalived --config-test` on `text` (written to a scratch file); throws its complaints.
    func check(_ text: String) throws(HAError) {
        let scratch = files.config + ".new"
        unlink(files.testLog)
        do {
            try AtomicFile.write(Data(text.utf8), to: scratch)
            let exit = try ChildProcess.run(path: executable, arguments: ["--config-test", "--use-file", scratch],
                                            timeout: 10, output: files.testLog)
            unlink(scratch)
            guard exit == .exited(0) else {
                let said = (try? String(contentsOfFile: files.testLog, encoding: .utf8)) ?? ""
                throw HAError("keepalived refuses the config rendered from ha: (\(exit)): " +
                              said.split(separator: "\n").joined(separator: "; ") + "; check ha.interface and ha.peers")
            }
        } catch let error as HAError {
            throw error
        } catch {
            throw HAError("cannot check keepalived's config: \(error)")
        }
    }

    private func start() throws -> ChildProcess {
        let child = try ChildProcess.spawn(path: executable, arguments: [
            "--dont-fork", "--log-console", "--log-detail", "--no-syslog", "--vrrp",
            "--use-file", files.config, "--pid", files.pid, "--vrrp_pid", files.vrrpPID,
        ], output: files.log)
        logger.notice("ha: keepalived started", metadata: ["pid": "\(child.pid)", "config": "\(files.config)"])
        return child
    }

    /// SIGTERM (keepalived gives the VIPs away), then SIGKILL to its group after 5 s.
    private func stop(_ child: ChildProcess) {
        kill(child.pid, SIGTERM)
        for _ in 0..<250 {
            if child.poll() != nil { return }
            usleep(20_000)
        }
        logger.warning("ha: keepalived did not stop within 5 s; killing it")
        child.killGroup()
        for _ in 0..<100 where child.poll() == nil { usleep(10_000) }
    }

    /// A keepalived a daemon that died left running over the same state directory: stopped
    /// (SIGTERM: it hands the VIPs over), so that the new one starts from a known state (as a
    /// backup). Both of its processes are waited for, at most 5 s, then killed.
    private func stopLeftover() {
        let pids = [files.pid, files.vrrpPID].compactMap { path -> pid_t? in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
                  let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                  comm.hasPrefix("keepalived") else { return nil }
            return pid
        }
        guard let parent = pids.first else { return }
        logger.warning("ha: stopping the keepalived a previous daemon left running", metadata: ["pid": "\(parent)"])
        kill(parent, SIGTERM)
        for _ in 0..<250 where pids.contains(where: ProcessState.isRunning) { usleep(20_000) }
        for pid in pids where ProcessState.isRunning(pid) { kill(pid, SIGKILL) }
    }
}
