import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import UsherBPF
import UsherCore
import UsherProxy

/// The daemon's work once its first apply is done, as one service of its `ServiceGroup`: the
/// proxy listens, systemd hears READY=1, then until shutdown: SIGHUP reloads, the watchdog is
/// fed, changes the CLI saved are noticed, the checks' results are saved. On graceful shutdown
/// (SIGTERM) it stops in reverse order: the proxy lets requests finish, the health states are
/// saved, and the data plane keeps forwarding with the pinned maps.
public struct DaemonService: Service {
    let daemon: Daemon
    let proxy: ProxyServer
    let notifier = SystemdNotifier()
    let logger: Logger

    public init(daemon: Daemon, proxy: ProxyServer, logger: Logger) {
        self.daemon = daemon
        self.proxy = proxy
        self.logger = logger
    }

    public func run() async throws {
        _ = try await proxy.start()
        // SIGHUP is trapped before systemd hears READY: a reload asked at once must not meet the
        // default action (the end of the process).
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        notifier.ready(status: "serving \(daemon.configPath)")
        logger.notice("ready", metadata: ["config": "\(daemon.configPath)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups.cancelOnGracefulShutdown() {
                    notifier.reloading()
                    await daemon.reload()
                    notifier.reloaded(status: "serving \(daemon.configPath)")
                }
            }
            group.addTask { await every(.seconds(1)) { await daemon.watchSavedConfig() } }
            group.addTask { await followNetwork() }
            group.addTask { await every(.seconds(2)) { await daemon.saveResults() } }
            // The proxy's counters for `usher stats`, as `usher proxy` writes them.
            let stateDirectory = daemon.controller.stateDirectory
            group.addTask {
                await every(.seconds(1)) { try? await proxy.statistics().write(toDirectory: stateDirectory) }
            }
            if let interval = notifier.watchdogInterval {
                // Fed only while the daemon's actor answers: an apply stuck for good stops the
                // pings and systemd restarts the daemon (the data plane forwards meanwhile).
                group.addTask { await every(interval) { await daemon.isResponsive(); notifier.watchdog() } }
            }
            await group.waitForAll()
        }
        notifier.stopping()
        logger.notice("stopping: the data plane keeps forwarding; letting requests in progress finish")
        try? await proxy.stop()
        await daemon.stop()
    }
}

extension DaemonService {
    /// Neighbour, route and link events from netlink: any of them marks the next hops stale,
    /// and at most every 100 ms one look at every real's next hop answers all marks since.
    func followNetwork() async {
        let monitor: NextHopMonitor
        do {
            monitor = try NextHopMonitor()
        } catch {
            logger.error("cannot watch neighbour and route changes; next hops change only on apply",
                         metadata: ["error": "\(error)"])
            return
        }
        let stale = StaleFlag()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in monitor.events.cancelOnGracefulShutdown() { stale.value.store(true, ordering: .relaxed) }
            }
            group.addTask {
                await every(.milliseconds(100)) {
                    if stale.value.exchange(false, ordering: .relaxed) { await daemon.followNextHops() }
                }
                monitor.stop()
            }
            await group.waitForAll()
        }
    }
}

/// Set by any network event, taken by the next look at the next hops.
private final class StaleFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// Runs `body` every `interval` until graceful shutdown or cancellation.
private func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
        await body()
        let slept: Void?? = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        guard case .some(.some) = slept else { return }
    }
}
