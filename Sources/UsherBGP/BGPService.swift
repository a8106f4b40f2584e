import Foundation
import Logging
import ServiceLifecycle
import UsherCore
import UsherHealth

/// The BGP side of the daemon, one service of its `ServiceGroup` (after the daemon's own, so it
/// stops first): writes bird.conf in the state directory, runs bird, and every `interval`
/// renders the config again from what `desired` says now (the settings and the VIPs to
/// announce); when the text changed it replaces the file (write and rename) and runs `birdc
/// configure`. One loop does all of it, so two changes never race; a configure that failed is
/// tried again on the next round. Every `statusInterval` it asks bird for its sessions (over
/// the control socket) and hands `report` the BGPStatus. At shutdown bird ends and every route
/// is withdrawn.
public struct BGPService: Service {
    /// The settings, the VIPs to announce now, and every VIP `bgp:` may announce.
    public typealias Desired = @Sendable () async -> (settings: BGPSettings, vips: [IPAddress], candidates: [IPAddress])
    public typealias Report = @Sendable (BGPStatus) async -> Void

    public static let birdc = "/usr/sbin/birdc"
    let process: BirdProcess
    let desired: Desired
    let interval: Duration
    let statusInterval: Duration
    let report: Report?
    let logger: Logger

    public init(stateDirectory: String, birdPath: String = BirdProcess.defaultBird, interval: Duration = .milliseconds(100),
                statusInterval: Duration = .seconds(1), logger: Logger, report: Report? = nil, desired: @escaping Desired) {
        process = BirdProcess(birdPath: birdPath, configPath: stateDirectory + "/bird.conf",
                              socketPath: stateDirectory + "/bird.ctl", logger: logger)
        self.desired = desired
        self.interval = interval
        self.statusInterval = statusInterval
        self.report = report
        self.logger = logger
    }

    /// Why bird cannot be run, if it cannot: the daemon refuses to start with `bgp:` then.
    public static func missingTools(birdPath: String = BirdProcess.defaultBird) -> String? {
        let tools: [String] = [birdPath, birdc, BirdProcess.setpriv]
        let missing = tools.filter { access($0, X_OK) != 0 }
        guard !missing.isEmpty else { return nil }
        return "bgp: needs \(missing.joined(separator: ", ")), not found or not executable: install BIRD 2 and util-linux "
            + "(apt-get install bird2 util-linux), then keep Debian's own bird stopped: systemctl disable --now bird"
    }

    public func run() async throws {
        var (settings, vips, _) = await desired()
        var written = BirdConfig.render(settings, announce: vips)
        try Self.replace(process.configPath, with: written)
        process.start()
        logger.notice("bgp: bird started", metadata: ["announcing": "\(Self.list(vips))", "config": "\(process.configPath)"])
        var configured = true
        let clock = ContinuousClock()
        var asked: ContinuousClock.Instant?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let slept: Void?? = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard case .some(.some) = slept else { break }
            let next = await desired()
            if let report, asked.map({ clock.now - $0 >= statusInterval }) ?? true {
                asked = clock.now
                await report(status(next.settings, candidates: next.candidates, announced: vips))
            }
            let text = BirdConfig.render(next.settings, announce: next.vips)
            guard text != written || !configured else { continue }
            do {
                if text != written { try Self.replace(process.configPath, with: text) }
                written = text
                configured = false
                configured = try reconfigure()
                if configured, next.vips != vips {
                    logger.notice("bgp: announcing \(Self.list(next.vips))", metadata: ["was": "\(Self.list(vips))"])
                }
                (settings, vips) = (next.settings, next.vips)
            } catch {
                logger.error("bgp: cannot update bird's config; trying again", metadata: ["error": "\(error)"])
            }
        }
        process.stop()
        logger.notice("bgp: bird stopped, every route withdrawn", metadata: ["were": "\(Self.list(vips))"])
    }

    /// bird's sessions now (`show protocols` over its control socket, 1 s at most) and the VIPs
    /// in the config it holds.
    func status(_ settings: BGPSettings, candidates: [IPAddress], announced: [IPAddress]) -> BGPStatus {
        do {
            let reply = try BirdControlSocket.ask("show protocols", socketPath: process.socketPath, timeout: 1)
            return BGPStatus(rows: try BirdProtocol.parse(reply), settings: settings, candidates: candidates, announced: announced)
        } catch {
            return BGPStatus(rows: nil, error: "\(error)", settings: settings, candidates: candidates, announced: announced)
        }
    }

    /// `birdc configure`: true once bird took the new file (false while it is starting).
    private func reconfigure() throws -> Bool {
        let exit = try ChildProcess.run(path: Self.birdc, arguments: ["-s", process.socketPath, "configure"], timeout: 5)
        return exit == .exited(0)
    }

    /// The one atomic, root-only write the state directory's other files use.
    static func replace(_ path: String, with text: String) throws {
        do {
            try AtomicFile.write(Data(text.utf8), to: path)
        } catch {
            throw BirdConfigWriteError(path: path, reason: "\(error)")
        }
    }

    static func list(_ vips: [IPAddress]) -> String { vips.isEmpty ? "nothing" : vips.map(\.description).joined(separator: ", ") }
}
