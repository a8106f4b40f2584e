import Foundation

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
        var options: [String: String] = [:]
        var rest = arguments.dropFirst()
        while let flag = rest.first {
            rest = rest.dropFirst()
            guard flag.hasPrefix("--"), let value = rest.first else {
                FileHandle.standardError.write(Data("usher-bench: \(flag) needs a value\n\(usage)\n".utf8))
                return 64
            }
            options[String(flag.dropFirst(2))] = value
            rest = rest.dropFirst()
        }
        let out = options["out"] ?? "Docs/bench/results"
        let command = options["command"] ?? "usher-bench " + arguments.joined(separator: " ")
        let rounds = options["rounds"].flatMap { Int($0) }
        let iterations = options["iterations"].flatMap { UInt32($0) }
        let started = Date(), machine = Machine.current()
        func finish<B: Codable & Sendable>(_ body: B) throws {
            let result = PartResult(part: part, command: command, started: started,
                                    seconds: Date().timeIntervalSince(started), machine: machine, body: body)
            try result.write(to: out)
            Progress.say("\(part): results in \(out)/\(part).json")
        }
        do {
            switch part {
            case "xdp-cost":
                var bench = XDPCost()
                if let rounds { bench.rounds = rounds }
                if let iterations { bench.iterations = iterations }
                try finish(try bench.run())
            case "flows":
                var bench = FlowScale()
                if let rounds { bench.rounds = rounds }
                if let iterations { bench.iterations = iterations }
                if let sizes = options["tables"] {
                    bench.tableSizes = sizes.split(separator: ",").compactMap { UInt32($0) }
                }
                try finish(try bench.run())
            case "control-plane":
                var bench = ControlPlane()
                if let rounds { bench.rounds = rounds }
                if let services = options["services"].flatMap({ Int($0) }) { bench.services = services }
                try finish(try bench.run())
            case "lab-pps":
                var bench = LabPPS()
                if let rounds { bench.rounds = rounds }
                if let frames = options["frames"].flatMap({ UInt32($0) }) { bench.framesPerRun = frames }
                if let flows = options["flows"].flatMap({ UInt32($0) }) { bench.flows = flows }
                if let seconds = options["seconds"].flatMap({ Double($0) }) { bench.secondsPerRun = seconds }
                bench.tag = options["tag"]
                try finish(try bench.run())
            case "cluster":
                var bench = ClusterPPS()
                if let rounds { bench.rounds = rounds }
                if let frames = options["frames"].flatMap({ UInt32($0) }) { bench.framesPerRun = frames }
                if let flows = options["flows"].flatMap({ UInt32($0) }) { bench.flows = flows }
                if let seconds = options["seconds"].flatMap({ Double($0) }) { bench.secondsPerRun = seconds }
                if let budget = options["balancer-budget"] {
                    guard let percent = Double(budget), percent > 0, percent <= 100 else {
                        FileHandle.standardError.write(Data("usher-bench: --balancer-budget '\(budget)': give a percentage of one CPU, more than 0 and at most 100\n".utf8))
                        return 64
                    }
                    bench.budgetPercent = percent
                }
                bench.tag = options["tag"]
                try finish(try bench.run())
            case "proxy":
                var bench = ProxyBench()
                if let rounds { bench.rounds = rounds }
                if let seconds = options["seconds"].flatMap({ Int($0) }) { bench.seconds = seconds }
                if let connections = options["connections"].flatMap({ Int($0) }) { bench.connections = connections }
                if let usher = options["usher"] { bench.usher = usher }
                try finish(try bench.run())
            case "health":
                var bench = HealthBench()
                if let targets = options["targets"].flatMap({ Int($0) }) { bench.targets = targets }
                if let seconds = options["seconds"].flatMap({ Double($0) }) { bench.seconds = seconds }
                try finish(try bench.run())
            case "report":
                let doc = options["doc"] ?? "Docs/BENCHMARKS.md"
                let plotDirectory = (URL(fileURLWithPath: doc).deletingLastPathComponent().path) + "/bench"
                let written = try Plots.write(resultsDirectory: out, to: plotDirectory)
                Progress.say("report: plots \(written.map { "\($0).svg" }.joined(separator: ", ")) in \(plotDirectory)")
                try Report(resultsDirectory: out, command: command).markdown().write(toFile: doc, atomically: true, encoding: .utf8)
                Progress.say("report: wrote \(doc)")
            default:
                FileHandle.standardError.write(Data("usher-bench: unknown part '\(part)'\n\(usage)\n".utf8))
                return 64
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("usher-bench \(part): \(error)\n".utf8))
            return 1
        }
    }
}
