import ArgumentParser
import Foundation
import UsherBPF
import UsherControl

/// `usher debug run-packet|flush-flows`: look inside the data plane.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Run a frame through the balancer program; empty the flow table.",
        subcommands: [RunPacket.self, FlushFlows.self]
    )

    struct RunPacket: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-packet",
            abstract: "Run one Ethernet frame through the balancer with BPF_PROG_TEST_RUN.",
            discussion: "The program runs against the pinned maps: what it decides is what an attached program would decide, and a first packet creates its flow in the connection table."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The frame as hex (whitespace and colons ignored).") var hex: String

        func validate() throws {
            guard parseHex(hex) != nil else {
                throw ValidationError("the frame must be an even number of hex digits, e.g. 02000000000102…")
            }
        }

        func run() throws {
            try reportingErrors {
                let frame = parseHex(hex) ?? []
                let result = try global.controller().dataplane(create: false).runPacket(frame)
                let outputHex = result.output.map { String(format: "%02x", $0) }.joined()
                if output.json {
                    try printJSON(RunReport(verdict: result.verdict.name, output: outputHex, durationNs: result.durationNanoseconds))
                } else {
                    print("verdict: \(result.verdict.name)")
                    print("output:  \(outputHex)")
                    print("time:    \(result.durationNanoseconds) ns (one run; not a benchmark)")
                }
            }
        }
    }

    struct FlushFlows: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "flush-flows",
            abstract: "Empty the connection table: every next packet is balanced anew.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try reportingErrors {
                let removed = try global.controller().dataplane(create: false).flushFlows()
                print("Removed \(removed) tracked flow\(removed == 1 ? "" : "s").")
            }
        }
    }
}

private struct RunReport: Encodable {
    let verdict: String
    let output: String
    let durationNs: UInt64

    enum CodingKeys: String, CodingKey {
        case verdict, output
        case durationNs = "duration_ns"
    }
}

/// Bytes from hex text, ignoring whitespace and colons; nil if anything else is wrong.
func parseHex(_ text: String) -> [UInt8]? {
    let digits = text.filter { !$0.isWhitespace && $0 != ":" }
    guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
        out.append(byte)
        index = next
    }
    return out
}
