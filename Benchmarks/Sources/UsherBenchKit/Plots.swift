import Foundation

/// The plots of Docs/BENCHMARKS.md (Docs/bench/NAME.svg), one per part whose results exist:
/// cost per path against the floor, cost against table size, packets per second per
/// forwarder, control-plane times, and the proxy tier's requests per second.
public enum Plots {
    /// Plot name (file name without .svg) to its chart, for the results in `directory`.
    public static func charts(resultsDirectory directory: String) -> [(name: String, chart: SVGBarChart)] {
        var out: [(String, SVGBarChart)] = []
        if let r = PartResult<XDPCostResult>.read(part: "xdp-cost", from: directory)?.body { out.append(("xdp-cost", cost(r))) }
        if let r = PartResult<FlowScaleResult>.read(part: "flows", from: directory)?.body { out.append(("flows", flows(r))) }
        if let r = PartResult<LabPPSResult>.read(part: "lab-pps", from: directory)?.body { out.append(("lab-pps", lab(r))) }
        if let r = PartResult<ControlPlaneResult>.read(part: "control-plane", from: directory)?.body {
            out.append(("control-plane", control(r)))
        }
        if let data = FileManager.default.contents(atPath: directory + "/proxy.json"), let chart = proxy(json: data) {
            out.append(("proxy", chart))
        }
        return out
    }

    /// Writes every chart to `directory` (created if needed); returns the names written.
    @discardableResult
    public static func write(resultsDirectory: String, to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try charts(resultsDirectory: resultsDirectory).map { name, chart in
            try chart.render().write(toFile: "\(directory)/\(name).svg", atomically: true, encoding: .utf8)
            return name
        }
    }

    static func cost(_ r: XDPCostResult) -> SVGBarChart {
        SVGBarChart(title: "1. Cost per packet of each XDP path, against the floor program",
                    unit: "ns per packet (BPF_PROG_TEST_RUN, each iteration on the original frame)",
                    bars: r.rows.map { .init(label: $0.title, summary: $0.ns, group: $0.path == .floor ? 1 : 0) },
                    groups: ["usher_balance", "floor program"])
    }

    static func flows(_ r: FlowScaleResult) -> SVGBarChart {
        SVGBarChart(title: "2. Cost per packet as the connection table grows",
                    unit: "ns per packet",
                    bars: (r.established + (r.newFlows.map { [$0] } ?? [])).map {
                        .init(label: $0.label, summary: $0.ns, group: $0.event == "ct_new" ? 1 : 0)
                    },
                    groups: ["established flows", "new flows, full table"])
    }

    static func lab(_ r: LabPPSResult) -> SVGBarChart {
        let group: [LabPPSResult.Forwarder: Int] = [.usher: 0, .nftables: 1, .floor: 2]
        return SVGBarChart(title: "3. Packets per second forwarded through the lab, one balancer core",
                           unit: "million packets per second counted at the real servers",
                           bars: r.rows.map { .init(label: $0.title, summary: $0.forwardedMpps, group: group[$0.forwarder] ?? 0) })
    }

    static func control(_ r: ControlPlaneResult) -> SVGBarChart {
        // Everything in milliseconds; times marked µs are converted; a negative time (a packet
        // seen before apply returned) has no place on a log scale and is left to the table.
        let bars: [SVGBarChart.Bar] = (r.maglev + r.apply + r.changeToPacket).compactMap { t in
            let micro = t.what.contains("(µs")
            let scale = micro ? 0.001 : 1
            guard t.ms.median * scale > 0, t.ms.min > 0 else { return nil }
            let label = micro ? String(t.what.prefix { $0 != "(" }).trimmingCharacters(in: .whitespaces) : t.what
            return .init(label: String(label.prefix(52)), summary: t.ms, scale: scale, group: micro ? 1 : 0)
        }
        return SVGBarChart(title: "4. Control plane", unit: "milliseconds", bars: bars, logScale: true,
                           groups: ["build and apply", "change to first packet"])
    }

    /// Requests per second from the proxy part's JSON (Docs/bench/results/proxy.json, written by the
    /// proxy part): every object with a `requests_per_second` figure (a number or a summary with
    /// `median`, `min`, `max`) under `rows`, labelled by its scenario and proxy.
    static func proxy(json data: Data) -> SVGBarChart? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        let body = root["body"] as? [String: Any] ?? root
        guard let rows = body["rows"] as? [[String: Any]] else { return nil }
        var bars: [SVGBarChart.Bar] = [], proxies: [String] = []
        for row in rows {
            let proxy = Self.text(row["proxy"]) ?? "?"
            let scenario = Self.text(row["scenario"]) ?? ""
            if !proxies.contains(proxy) { proxies.append(proxy) }
            let group = proxies.firstIndex(of: proxy) ?? 0
            let label = [scenario, proxy].filter { !$0.isEmpty }.joined(separator: ", ")
            if let value = row["requests_per_second"] as? Double {
                bars.append(.init(label: label, value: value, group: group))
            } else if let s = row["requests_per_second"] as? [String: Any], let median = s["median"] as? Double {
                bars.append(.init(label: label, value: median, low: s["min"] as? Double, high: s["max"] as? Double, group: group))
            }
        }
        guard !bars.isEmpty else { return nil }
        return SVGBarChart(title: "5. The proxy tier: requests per second", unit: "requests per second", bars: bars, groups: proxies)
    }

    private static func text(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let d = value as? [String: Any] { return (d["title"] ?? d["name"] ?? d["kind"]) as? String }
        return nil
    }
}
