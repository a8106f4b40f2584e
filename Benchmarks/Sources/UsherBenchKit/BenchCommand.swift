import Foundation
import UsherBPF

/// `usher-bench PART [options]`: runs one part and writes its JSON; `usher-bench report`
/// regenerates Docs/BENCHMARKS.md from the JSON there is. Tools/bench drives it.
public enum BenchCommand {
    static let usage = """
        usage: usher-bench PART [--rounds N] [--iterations N] [--tables N,N] [--services N] [--out DIR] [--command TEXT]
               usher-bench lab-pps [--rounds N] [--frames N] [--flows N] [--seconds S] [--tag TAG] [--out DIR]
               usher-bench cluster [--rounds N] [--frames N] [--flows N] [--seconds S] [--balancer-budget PCT] [--tag TAG] [--out DIR]
               usher-bench proxy [--rounds N] [--seconds S] [--connections N] [--usher PATH] [--out DIR]
               usher-bench health [--targets N] [--seconds S] [--out DIR]
               usher-bench report [--out DIR] [--doc PATH] [--command TEXT]
        parts: xdp-cost, flows, control-plane, lab-pps, cluster, proxy, health
        """

    public static func main(_ arguments: [String]) -> Int32 {
        guard let part = arguments.first else {
            FileHandle.standardError.write(Data((usage + "\n").utf8))
            return 64
        }
        if ["--help", "-h", "help"].contains(part) {
            print(usage)
            return 0
        }
        do {
            var options = try BenchOptions(arguments.dropFirst())
            let command = options.string("command") ?? "usher-bench " + arguments.joined(separator: " ")
            guard let run = try prepare(part, &options, command: command) else {
                FileHandle.standardError.write(Data("usher-bench: unknown part '\(part)'\n\(usage)\n".utf8))
                return 64
            }
            try options.checkAllUsed(by: part)
            try run()
            return 0
        } catch let error as BenchOptions.UsageError {
            FileHandle.standardError.write(Data("usher-bench \(part): \(error)\n\(usage)\n".utf8))
            return 64
        } catch {
            FileHandle.standardError.write(Data("usher-bench \(part): \(error)\n".utf8))
            return 1
        }
    }

    /// Reads the part's options (a usage error for a bad one) and returns what runs it; nil for
    /// an unknown part.
    private static func prepare(_ part: String, _ options: inout BenchOptions, command: String) throws -> (() throws -> Void)? {
        let out = options.string("out") ?? "Docs/bench/results"
        let started = Date(), machine = Machine.current()
        func finish<B: Codable & Sendable>(_ body: B) throws {
            let result = PartResult(part: part, command: command, started: started,
                                    seconds: Date().timeIntervalSince(started), machine: machine, body: body)
            try result.write(to: out)
            Progress.say("\(part): results in \(out)/\(part).json")
        }
        let seconds = "a number of seconds above 0, at most 3600"
        switch part {
        case "xdp-cost":
            var bench = XDPCost()
            if let rounds = try options.integer("rounds", 1...1000, as: Int.self) { bench.rounds = rounds }
            if let iterations = try options.integer("iterations", 1...UInt32.max) { bench.iterations = iterations }
            return { try finish(try bench.run()) }
        case "flows":
            var bench = FlowScale()
            if let rounds = try options.integer("rounds", 1...1000, as: Int.self) { bench.rounds = rounds }
            if let iterations = try options.integer("iterations", 1...UInt32.max) { bench.iterations = iterations }
            if let sizes = try options.integers("tables", UInt32(1)...UInt32(FlowTable.ways)) { bench.tableSizes = sizes }
            return { try finish(try bench.run()) }
        case "control-plane":
            var bench = ControlPlane()
            if let rounds = try options.integer("rounds", 1...1000, as: Int.self) { bench.rounds = rounds }
            if let services = try options.integer("services", 1...100_000, as: Int.self) { bench.services = services }
            return { try finish(try bench.run()) }
        case "lab-pps":
            var bench = LabPPS()
            try readLabRun(&bench, &options)
            return { try finish(try bench.run()) }
        case "cluster":
            var bench = ClusterPPS()
            try readLabRun(&bench, &options)
            if let percent = try options.number("balancer-budget", 0.001...100,
                                                what: "a percentage of one CPU, more than 0 and at most 100") {
                bench.budgetPercent = percent
            }
            return { try finish(try bench.run()) }
        case "proxy":
            var bench = ProxyBench()
            if let rounds = try options.integer("rounds", 1...1000, as: Int.self) { bench.rounds = rounds }
            if let value = try options.integer("seconds", 1...3600, as: Int.self) { bench.seconds = value }
            if let connections = try options.integer("connections", 1...100_000, as: Int.self) { bench.connections = connections }
            if let usher = options.string("usher") { bench.usher = usher }
            return { try finish(try bench.run()) }
        case "health":
            var bench = HealthBench()
            if let targets = try options.integer("targets", 1...1_000_000, as: Int.self) { bench.targets = targets }
            if let value = try options.number("seconds", 0.001...3600, what: seconds) { bench.seconds = value }
            return { try finish(try bench.run()) }
        case "report":
            let doc = options.string("doc") ?? "Docs/BENCHMARKS.md"
            return {
                let plotDirectory = (URL(fileURLWithPath: doc).deletingLastPathComponent().path) + "/bench"
                let written = try Plots.write(resultsDirectory: out, to: plotDirectory)
                Progress.say("report: plots \(written.map { "\($0).svg" }.joined(separator: ", ")) in \(plotDirectory)")
                try Report(resultsDirectory: out, command: command).markdown().write(toFile: doc, atomically: true, encoding: .utf8)
                Progress.say("report: wrote \(doc)")
            }
        default:
            return nil
        }
    }

    /// The options of the parts that run traffic through a lab of namespaces.
    private static func readLabRun<Run: LabRunSettings>(_ run: inout Run, _ options: inout BenchOptions) throws {
        if let rounds = try options.integer("rounds", 1...1000, as: Int.self) { run.rounds = rounds }
        if let frames = try options.integer("frames", 1...UInt32.max) { run.framesPerRun = frames }
        if let flows = try options.integer("flows", 1...UInt32.max) { run.flows = flows }
        if let value = try options.number("seconds", 0.001...3600, what: "a number of seconds above 0, at most 3600") {
            run.secondsPerRun = value
        }
        run.tag = options.string("tag")
    }
}

/// What lab-pps and cluster share: rounds of a frame count and a time limit over a number of flows.
protocol LabRunSettings {
    var rounds: Int { get set }
    var framesPerRun: UInt32 { get set }
    var flows: UInt32 { get set }
    var secondsPerRun: Double { get set }
    var tag: String? { get set }
}

extension LabPPS: LabRunSettings {}
extension ClusterPPS: LabRunSettings {}
