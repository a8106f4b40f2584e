import Foundation

/// Docs/BENCHMARKS.md, regenerated from the JSON results of the parts that have run
/// (`Docs/bench/results/<part>.json`, kept in git) and the conditions of each part's run
/// (`<part>.note`, when `Tools/bench --note` gave them).
public struct Report {
    public var resultsDirectory: String
    public var command: String

    public init(resultsDirectory: String, command: String) {
        self.resultsDirectory = resultsDirectory
        self.command = command
    }

    public func markdown() -> String {
        let cost = PartResult<XDPCostResult>.read(part: "xdp-cost", from: resultsDirectory)
        let flows = PartResult<FlowScaleResult>.read(part: "flows", from: resultsDirectory)
        let control = PartResult<ControlPlaneResult>.read(part: "control-plane", from: resultsDirectory)
        let lab = PartResult<LabPPSResult>.read(part: "lab-pps", from: resultsDirectory)
        let cluster = PartResult<ClusterPPSResult>.read(part: "cluster", from: resultsDirectory)
        let proxy = PartResult<ProxyResult>.read(part: "proxy", from: resultsDirectory)
        let health = PartResult<HealthBenchResult>.read(part: "health", from: resultsDirectory)
        let plots = Set(Plots.charts(resultsDirectory: resultsDirectory).map(\.name))
        func plot(_ name: String, _ alt: String) -> String { plots.contains(name) ? "![\(alt)](bench/\(name).svg)\n\n" : "" }
        func note(_ part: String) -> String? {
            let text = (try? String(contentsOfFile: resultsDirectory + "/\(part).note", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return text?.isEmpty == false ? text : nil
        }
        var out = ReportText.header
        let machine = cost?.machine ?? flows?.machine ?? lab?.machine ?? control?.machine ?? proxy?.machine
        out += "## The machine and the run\n\n"
        if let m = machine {
            out += "- CPU: \(m.cpuModel), \(m.cores) cores\(m.virtualized.map { "; virtual machine: \($0)" } ?? "")\n"
            out += "- Kernel: Linux \(m.kernel); memory \(m.memoryGiB) GiB\n"
        }
        for (name, part) in [("xdp-cost", cost?.meta), ("flows", flows?.meta), ("lab-pps", lab?.meta), ("cluster", cluster?.meta),
                            ("control-plane", control?.meta),
                            ("proxy", proxy?.meta), ("health", health?.meta)] {
            guard let part else { continue }
            out += "- `\(name)`: `\(part.command)`, started \(part.started), \(part.seconds) s, load average \(part.load) at its start"
            out += note(name).map { ". Conditions: \($0)\n" } ?? "\n"
        }
        out += "- Regenerated with: `\(command)`\n\n"
        out += ReportText.method
        out += cost.map { ReportText.cost($0.body) } ?? "## 1. Cost per packet of the XDP program\n\nNot run yet: `Tools/bench xdp-cost`.\n\n"
        out += plot("xdp-cost", "Cost per packet of each path against the floor program")
        out += flows.map { ReportText.flows($0.body) } ?? "## 2. Many flows\n\nNot run yet: `Tools/bench flows`.\n\n"
        out += plot("flows", "Cost per packet against the number of tracked flows")
        out += lab.map { ReportText.lab($0.body) } ?? ReportText.labNotRun
        out += plot("lab-pps", "Packets per second forwarded by one balancer core: Usher, nftables DNAT, the floor")
        out += cluster.map { ReportText.cluster($0.body, cores: $0.machine.cores) } ?? ReportText.clusterNotRun
        out += control.map { ReportText.control($0.body) } ?? "## 4. Control plane\n\nNot run yet: `Tools/bench control-plane`.\n\n"
        out += plot("control-plane", "Control-plane times")
        out += proxy.map { ProxyReport.section($0.body) } ?? ProxyReport.notRun
        out += plot("proxy", "Requests per second of the proxy tier")
        out += health.map { HealthReport.section($0.body) } ?? HealthReport.notRun
        return out
    }
}

extension PartResult {
    var meta: (command: String, started: String, seconds: Double, load: Double) {
        (command, started, seconds, machine.loadAverage)
    }
}

/// Number formatting of the report.
enum Fmt {
    static func ns(_ s: Summary) -> String { "\(Int(s.median.rounded())) (\(Int(s.min.rounded()))–\(Int(s.max.rounded())))" }
    static func ratio(_ s: Summary?) -> String {
        guard let s else { return "—" }
        return String(format: "%.2f× (%.2f–%.2f)", s.median, s.min, s.max)
    }
    static func ms(_ s: Summary) -> String {
        s.median >= 100 ? String(format: "%.0f (%.0f–%.0f)", s.median, s.min, s.max)
            : String(format: "%.2f (%.2f–%.2f)", s.median, s.min, s.max)
    }
    static func count(_ n: UInt32) -> String {
        n >= 1_000_000 && n % 1_000_000 == 0 ? "\(n / 1_000_000)M" : n >= 1000 && n % 1000 == 0 ? "\(n / 1000)k" : "\(n)"
    }
}
