import ArgumentParser
import Foundation
import UsherBPF
import UsherControl
import UsherCore
import UsherProxy

/// `usher stats`: what the data plane counted, per reason, per service and per real server,
/// and what the L7 proxy counted (from the snapshot a running `usher proxy` writes).
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the data plane's counters (summed over CPUs).",
        discussion: """
        Every packet the program sees is counted under exactly one verdict reason (pass_*, tx, \
        redirect, drop_*); ct_* count flow events. When `usher proxy` runs with the same \
        --state-dir, its counters follow (per service and per real server of each pool), marked \
        stale with their age if the proxy stopped writing them. With --watch the table is refreshed and rates \
        per second are shown; --count bounds the number of refreshes. --watch --json prints one \
        JSON object per line per reading.
        """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Refresh until interrupted (or --count refreshes).") var watch = false
    @Option(help: "Seconds between refreshes.") var interval: Double = 1
    @Option(help: "Stop after this many refreshes.") var count: Int?

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if count != nil && !watch { throw ValidationError("--count goes with --watch") }
    }

    func run() throws {
        try reportingErrors {
            let controller = global.controller()
            let dataplane: Dataplane?
            var missingMaps: Error?
            do {
                dataplane = try controller.dataplane(create: false)
            } catch {
                // A proxy-only host: its counters alone, if it wrote any; the exit status still
                // says the data plane's counters are missing.
                guard try ProxyStatsReport.load(stateDirectory: global.stateDirectory) != nil else { throw error }
                dataplane = nil
                missingMaps = error
            }
            var previous: (report: StatsReport, time: Date)?
            var refreshes = 0
            repeat {
                var report: StatsReport?
                if let dataplane {
                    let config = try controller.currentConfig()
                    let ids = try controller.loadDataplaneState()
                    report = StatsReport(snapshot: try dataplane.readStats(), config: config, state: ids)
                }
                let now = Date()
                let proxy = try ProxyStatsReport.load(stateDirectory: global.stateDirectory, now: now)
                if output.json {
                    // --watch --json: one reading per line
                    try printJSON(StatsOutput(dataplane: report, proxy: proxy), compact: watch)
                } else {
                    if watch {
                        if isatty(STDOUT_FILENO) != 0 {
                            print("\u{1B}[H\u{1B}[2J", terminator: "")
                        } else if refreshes > 0 {
                            print("")
                        }
                        print("usher stats at \(ISO8601DateFormatter().string(from: now))")
                    }
                    let elapsed = previous.map { now.timeIntervalSince($0.time) }
                    if let report { print(report.render(previous: previous?.report, elapsed: elapsed)) }
                    if let proxy {
                        if report != nil { print("") }
                        print(proxy.render())
                    }
                }
                fflush(nil)
                previous = report.map { ($0, now) }
                refreshes += 1
                if !watch || (count.map { refreshes >= $0 } ?? false) { break }
                Thread.sleep(forTimeInterval: interval)
            } while true
            if let missingMaps {
                throw CLIError("\(missingMaps); only the proxy's counters were shown")
            }
        }
    }
}
