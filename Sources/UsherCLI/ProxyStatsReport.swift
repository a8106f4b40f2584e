import Foundation
import UsherProxy

/// The proxy's part of `usher stats`: the snapshot the running `usher proxy` writes to
/// `<state dir>/proxy-stats.json` once a second, said to be stale (with its age) when it is
/// older than `freshness` (the proxy stopped, or cannot write).
struct ProxyStatsReport: Encodable {
    /// A snapshot older than this is stale (written every second).
    static let freshness: TimeInterval = 5

    let state: String
    let ageSeconds: Double
    let writtenAt: String
    let pid: Int32
    let services: [ProxyStatistics.Service]

    init(_ stats: ProxyStatistics, now: Date) {
        let age = max(0, now.timeIntervalSince(stats.writtenAt))
        state = age <= Self.freshness ? "fresh" : "stale"
        ageSeconds = (age * 10).rounded() / 10
        writtenAt = ISO8601DateFormatter().string(from: stats.writtenAt)
        pid = stats.pid
        services = stats.services
    }

    /// The report of the snapshot in `directory`; nil when no proxy has written one there.
    static func load(stateDirectory directory: String, now: Date = Date()) throws -> ProxyStatsReport? {
        do {
            return try ProxyStatistics.read(fromDirectory: directory).map { ProxyStatsReport($0, now: now) }
        } catch {
            throw CLIError("\(directory)/\(ProxyStatistics.fileName) cannot be read (\(error)); "
                           + "it is rewritten every second by a running `usher proxy`: wait a second, or remove the file")
        }
    }

    var isStale: Bool { state == "stale" }

    func render() -> String {
        var out = "proxy (usher proxy pid \(pid)): counters as of \(String(format: "%.1f", ageSeconds)) s ago"
        if isStale {
            out += " — stale: not updated for \(Int(ageSeconds)) s (is `usher proxy` running with this --state-dir?)"
        }
        var table = TextTable(["service", "address", "conns", "requests", "1xx", "2xx", "3xx", "4xx", "5xx", "rejected", "bytes in", "bytes out"],
                              numeric: Set(2...11))
        for s in services {
            table.add([s.name, s.address, String(s.connections), humanCount(UInt64(s.requests))] + Self.classes(s.responses)
                      + [humanCount(UInt64(s.rejectedRequests)), humanBytes(UInt64(s.bytesIn)), humanBytes(UInt64(s.bytesOut))])
        }
        out += "\n" + table.render()
        var members = TextTable(["service", "pool", "member", "health", "active", "conns", "requests", "2xx", "3xx", "4xx", "5xx",
                                 "connect errors", "bytes in", "bytes out"], numeric: Set(4...13))
        for s in services {
            for p in s.pools {
                for m in p.members {
                    let health = m.checked || m.health != "up" ? m.health : "up (unchecked)"
                    members.add([s.name, p.name, m.address, health, String(m.activeRequests), String(m.openConnections),
                                 humanCount(UInt64(m.requests))] + Self.classes(m.responses).dropFirst()
                                + [humanCount(UInt64(m.connectErrors)), humanBytes(UInt64(m.bytesIn)), humanBytes(UInt64(m.bytesOut))])
                }
            }
        }
        if !members.rows.isEmpty { out += "\n\n" + members.render() }
        return out
    }

    private static func classes(_ r: ProxyStatistics.ResponseClasses) -> [String] {
        [r.informational, r.success, r.redirection, r.clientError, r.serverError].map { humanCount(UInt64($0)) }
    }
}

/// `usher stats --json`: the data plane's report (when its maps are pinned) with the proxy's
/// under `proxy` (when a snapshot exists), in one object.
struct StatsOutput: Encodable {
    let dataplane: StatsReport?
    let proxy: ProxyStatsReport?

    private enum Key: String, CodingKey { case proxy }

    func encode(to encoder: Encoder) throws {
        try dataplane?.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(proxy, forKey: .proxy)
    }
}
