import ArgumentParser
import Foundation
import UsherBGP
import UsherBPF
import UsherControl
import UsherCore
import UsherDaemon
import UsherSync
import UsherHA

/// `usher status`: is the balancer set up, where is it attached, what does it hold.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where Usher is attached and a summary of its tables and traffic.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try reportingErrors {
            let controller = global.controller()
            let config = try controller.currentConfig()
            guard Dataplane.hasPinnedMaps(in: global.pinDirectory) else {
                if output.json {
                    try printJSON(["pinned": false])
                } else {
                    print("No Usher maps are pinned in \(global.pinDirectory): nothing has been applied there (usher apply -f FILE).")
                }
                return
            }
            let dataplane = try controller.dataplane(create: false)
            let stats = try dataplane.readStats()
            let health = controller.runtimeStore.load().state.byTarget
            let reals = config.services.filter(\.mode.isLayer4).flatMap { s in s.reals.map { RealView(service: s, $0, health: health) } }
            let daemon = DaemonStatus.running(in: global.stateDirectory)
            let report = StatusReport(
                pinDirectory: global.pinDirectory,
                stateDirectory: global.stateDirectory,
                attachments: try dataplane.attachments(),
                services: config.services.count,
                reals: Set(config.services.flatMap { $0.reals.map(\.address) }).count,
                drainingReals: config.services.reduce(0) { $0 + $1.reals.filter(\.isDraining).count },
                packets: stats.totalPackets,
                forwarded: (stats.global["tx"]?.packets ?? 0) + (stats.global["redirect"]?.packets ?? 0),
                trackedFlowsCounted: stats.global["ct_new"]?.packets ?? 0,
                daemon: daemon.map { .init(pid: $0.pid, config: $0.configPath, startedAt: $0.startedAt, ha: $0.ha, bgp: $0.bgp) },
                realStates: Dictionary(grouping: reals, by: \.state.rawValue).mapValues(\.count),
                realList: reals,
                // Written by this daemon's sync service (not left over from an earlier daemon).
                sync: daemon.flatMap { d in SyncStatus.load(from: global.stateDirectory).flatMap { $0.updatedAt >= d.startedAt ? $0 : nil } })
            if output.json {
                try printJSON(report)
                return
            }
            print("Pinned maps:  \(report.pinDirectory)")
            print("State:        \(report.stateDirectory)")
            print("Services:     \(report.services), real servers: \(report.reals) (\(report.drainingReals) draining)")
            print("Packets seen: \(report.packets), forwarded: \(report.forwarded), new flows: \(report.trackedFlowsCounted)")
            if let daemon = report.daemon {
                print("Daemon:       pid \(daemon.pid), serving \(daemon.config) since \(ago(daemon.startedAt))")
                if let ha = daemon.ha {
                    print("HA role:      \(ha.role.rawValue) since \(ago(ha.since)) (VRRP router \(ha.virtualRouterID) on " +
                          "\(ha.interface), peers \(ha.peers.joined(separator: ", ")))")
                }
                if let bgp = daemon.bgp { printBGP(bgp) }
            } else {
                print("Daemon:       not running over \(report.stateDirectory) (health is not being checked; usher daemon -c FILE)")
            }
            if let sync = report.sync {
                let present = sync.peers.filter(\.present).map(\.address)
                print("Flow sync:    on \(sync.listen)\(sync.signed ? " (signed)" : ""), peers present: " +
                      "\(present.isEmpty ? "none" : present.joined(separator: ", ")); flows sent \(sync.flowsSent), " +
                      "received \(sync.flowsReceived), applied \(sync.flowsApplied), datagrams dropped \(sync.dropped.values.reduce(0, +))")
            }
            let states = report.realStates.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            if !states.isEmpty { print("L4 reals:     \(states)") }
            for real in report.realList where !real.state.takesTraffic {
                print("  \(real.service) \(real.address): \(real.state.rawValue)\(real.since.map { " since \(ago($0))" } ?? "")" +
                      (real.lastError.map { ", last check: \($0)" } ?? ""))
            }
            if report.attachments.isEmpty {
                print("Attached:     nowhere in this network namespace (usher attach IFACE)")
            } else {
                for a in report.attachments { print("Attached:     \(a)") }
            }
        }
    }
}

private struct StatusReport: Encodable {
    let pinned = true
    let pinDirectory: String
    let stateDirectory: String
    let attachments: [AttachmentInfo]
    let services: Int
    let reals: Int
    let drainingReals: Int
    let packets: UInt64
    let forwarded: UInt64
    let trackedFlowsCounted: UInt64
    let daemon: Daemon?
    /// How many L4 reals are in each state (up, down, draining, disabled, active).
    let realStates: [String: Int]
    /// Every L4 real with its health (as `usher real list --json`).
    let realList: [RealView]
    /// The daemon's flow-state sync counters (`sync:` in the config), when it runs one.
    let sync: SyncStatus?

    struct Daemon: Encodable {
        let pid: Int32
        let config: String
        let startedAt: Date
        /// Its part in an active/passive pair (`ha:`), if it has one.
        let ha: HAStatus?
        /// Its BGP sessions and announced VIPs (`bgp:`), if it has them.
        let bgp: BGPStatus?
    }

    enum CodingKeys: String, CodingKey {
        case pinned, pinDirectory = "pin_dir", stateDirectory = "state_dir"
        case attachments, services, reals, drainingReals = "draining_reals", packets, forwarded
        case trackedFlowsCounted = "new_flows", daemon, realStates = "real_states", realList = "real_list", sync
    }
}

/// Each BGP session with its state and since when, then the VIPs announced and withdrawn.
private func printBGP(_ bgp: BGPStatus) {
    for session in bgp.sessions {
        let since = session.since.map { " since \(ago($0))" } ?? ""
        print("BGP session:  \(session.neighbor) (AS \(session.remoteAS), \(session.name)) \(session.state)\(since)" +
              (session.established ? "" : session.info.map { ": \($0)" } ?? ""))
    }
    let announced = bgp.vips.filter(\.announced).map(\.vip), withdrawn = bgp.vips.filter { !$0.announced }.map(\.vip)
    print("BGP VIPs:     announced \(announced.isEmpty ? "none" : announced.joined(separator: ", "))" +
          (withdrawn.isEmpty ? "" : "; withdrawn (no real up) \(withdrawn.joined(separator: ", "))"))
}
