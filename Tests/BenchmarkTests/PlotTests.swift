import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import UsherBenchKit

/// The report's plots (Docs/bench/*.svg) are well-formed SVG with one bar per figure, and the
/// report embeds the ones that exist.
@Suite("Plots")
struct PlotTests {
    /// Parses `svg` as XML; returns the root's name, the bars and the texts, or nil if it is not XML.
    static func parse(_ svg: String) -> (root: String, bars: Int, ranges: Int, texts: [String])? {
        final class Collector: NSObject, XMLParserDelegate {
            var root: String?, bars = 0, ranges = 0, texts: [String] = [], inText = false, current = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if root == nil { root = name }
                if attributes["class"] == "bar" { bars += 1 }
                if attributes["class"] == "range" { ranges += 1 }
                if name == "text" { inText = true; current = "" }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "text" { texts.append(current); inText = false }
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        guard parser.parse(), let root = collector.root else { return nil }
        return (root, collector.bars, collector.ranges, collector.texts)
    }

    static func run(sent: UInt64, counted: UInt64, threadSeconds: Double) -> LabPPSResult.Run {
        LabPPSResult.Run(sent: sent, counted: counted, perReal: [counted / 3, counted / 3, counted - 2 * (counted / 3)],
                         seconds: 1, balancerCpuBusyPercent: 99, balancerThreadSeconds: threadSeconds, dataplaneForwarded: counted)
    }

    static var labResult: LabPPSResult {
        var r = LabPPSResult(rounds: 2, framesPerRun: 1000, flows: 16, frame: "IPv4 TCP SYNs", balancerCpu: 1, otherCpus: [0],
                             pinning: ["napi/x on CPUs [1]"])
        r.rows = [
            LabPPSResult.Row(.usher, runs: [run(sent: 3_000_000, counted: 2_900_000, threadSeconds: 0.5),
                                            run(sent: 3_000_000, counted: 2_950_000, threadSeconds: 0.5)])!,
            LabPPSResult.Row(.nftables, runs: [run(sent: 3_000_000, counted: 500_000, threadSeconds: 1),
                                               run(sent: 3_000_000, counted: 520_000, threadSeconds: 1)])!,
        ]
        r.ratioToNftables = Summary([5.8, 5.6])
        return r
    }

    @Test("a chart is well-formed SVG: one bar and one min–max whisker per figure, labels escaped")
    func chartIsValidSVG() throws {
        let chart = SVGBarChart(title: "t <&> \"q\"", unit: "ns", bars: [
            .init(label: "a < b & c", value: 12, low: 10, high: 15),
            .init(label: "floor", value: 3, group: 1),
            .init(label: "zero", value: 0),
        ], groups: ["x", "y"])
        let parsed = try #require(Self.parse(chart.render()))
        #expect(parsed.root == "svg")
        #expect(parsed.bars == 3)
        #expect(parsed.ranges == 1)
        #expect(parsed.texts.contains("a < b & c"))
        #expect(parsed.texts.contains("t <&> \"q\""))
    }

    @Test("a logarithmic chart over many decades is well-formed, and non-positive values do not break it")
    func logChart() throws {
        let chart = SVGBarChart(title: "cp", unit: "ms", bars: [
            .init(label: "small", value: 0.9, low: 0.8, high: 1.2), .init(label: "large", value: 33_000, low: 27_000, high: 39_000),
            .init(label: "negative", value: -4),
        ], logScale: true)
        let parsed = try #require(Self.parse(chart.render()))
        #expect(parsed.bars == 3)
        #expect(parsed.texts.contains("10000"), "decade ticks up to 10^5: \(parsed.texts)")
        #expect(!chart.render().contains("nan") && !chart.render().contains("inf"))
    }

    @Test("the report writes a valid plot for part 3's results and embeds it under its section")
    func reportWritesPlots() throws {
        let dir = NSTemporaryDirectory() + "usher-plot-test-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let part = PartResult(part: "lab-pps", command: "test", started: Date(), seconds: 1, machine: Machine.current(),
                              body: Self.labResult)
        try part.write(to: dir)
        let written = try Plots.write(resultsDirectory: dir, to: dir + "/bench")
        #expect(written == ["lab-pps"])
        let svg = try String(contentsOfFile: dir + "/bench/lab-pps.svg", encoding: .utf8)
        let parsed = try #require(Self.parse(svg))
        #expect(parsed.bars == 2)
        #expect(parsed.texts.contains(LabPPSResult.Forwarder.usher.title))
        let doc = Report(resultsDirectory: dir, command: "test").markdown()
        #expect(doc.contains("![Packets per second forwarded by one balancer core: Usher, nftables DNAT, the floor](bench/lab-pps.svg)"))
        #expect(doc.contains("Usher / nftables = 5.70× (5.60–5.80): **met**"))
        #expect(!doc.contains("bench/xdp-cost.svg"), "no plot for a part that has not run")
        #expect(!doc.contains("Conditions:"), "no conditions given, none printed")
        try "a helper's build ran beside it\n".write(toFile: dir + "/lab-pps.note", atomically: true, encoding: .utf8)
        let noted = Report(resultsDirectory: dir, command: "test").markdown()
        #expect(noted.contains("load average \(part.machine.loadAverage) at its start. Conditions: a helper's build ran beside it\n"),
                "each part's conditions beside its own run")
    }

    @Test("part 3's results survive the JSON round trip")
    func roundTrip() throws {
        let dir = NSTemporaryDirectory() + "usher-plot-test-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try PartResult(part: "lab-pps", command: "c", started: Date(), seconds: 1, machine: Machine.current(), body: Self.labResult)
            .write(to: dir)
        let back = try #require(PartResult<LabPPSResult>.read(part: "lab-pps", from: dir))
        #expect(back.body.otherCpus == [0])
        #expect(back.body.rows.map(\.forwarder) == [.usher, .nftables])
        #expect(back.body.rows[0].runs[1].balancerCpuBusyPercent == 99)
    }
}
