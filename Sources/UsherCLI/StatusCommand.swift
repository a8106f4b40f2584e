import ArgumentParser
import Foundation
import UsherBPF
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
            let controller = Controller(options: global)
            let config = try controller.currentConfig()
            let dataplane = try controller.dataplane()
            let stats = try dataplane.readStats()
            let report = StatusReport(
                pinDirectory: global.pinDirectory,
                stateDirectory: global.stateDirectory,
                mapsCreatedNow: dataplane.mapsWereCreated,
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
            print("Pinned maps:  \(report.pinDirectory)\(report.mapsCreatedNow ? " (created now: nothing had been applied)" : "")")
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
    let pinDirectory: String
    let stateDirectory: String
    let mapsCreatedNow: Bool
    let attachments: [AttachmentInfo]
    let services: Int
    let reals: Int
    let drainingReals: Int
    let packets: UInt64
    let forwarded: UInt64
    let trackedFlowsCounted: UInt64

    enum CodingKeys: String, CodingKey {
        case pinDirectory = "pin_dir", stateDirectory = "state_dir", mapsCreatedNow = "maps_created_now"
        case attachments, services, reals, drainingReals = "draining_reals", packets, forwarded
        case trackedFlowsCounted = "new_flows"
    }
}
