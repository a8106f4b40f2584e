import ArgumentParser
import Foundation
import UsherBPF
import UsherControl
import UsherCore

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
            guard FileManager.default.fileExists(atPath: global.pinDirectory + "/usher_vips_v1") else {
                if output.json {
                    try printJSON(["pinned": false])
                } else {
                    print("No Usher maps are pinned in \(global.pinDirectory): nothing has been applied there (usher apply -f FILE).")
                }
                return
            }
            let dataplane = try controller.dataplane(create: false)
            let stats = try dataplane.readStats()
            let report = StatusReport(
                pinDirectory: global.pinDirectory,
                stateDirectory: global.stateDirectory,
                attachments: try dataplane.attachments(),
                services: config.services.count,
                reals: Set(config.services.flatMap { $0.reals.map(\.address) }).count,
                drainingReals: config.services.reduce(0) { $0 + $1.reals.filter(\.isDraining).count },
                packets: stats.totalPackets,
                forwarded: (stats.global["tx"]?.packets ?? 0) + (stats.global["redirect"]?.packets ?? 0),
                trackedFlowsCounted: stats.global["ct_new"]?.packets ?? 0)
            if output.json {
                try printJSON(report)
                return
            }
            print("Pinned maps:  \(report.pinDirectory)")
            print("State:        \(report.stateDirectory)")
            print("Services:     \(report.services), real servers: \(report.reals) (\(report.drainingReals) draining)")
            print("Packets seen: \(report.packets), forwarded: \(report.forwarded), new flows: \(report.trackedFlowsCounted)")
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

    enum CodingKeys: String, CodingKey {
        case pinned, pinDirectory = "pin_dir", stateDirectory = "state_dir"
        case attachments, services, reals, drainingReals = "draining_reals", packets, forwarded
        case trackedFlowsCounted = "new_flows"
    }
}
