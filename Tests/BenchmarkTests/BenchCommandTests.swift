import Testing
@testable import UsherBenchKit

/// usher-bench's arguments: a bad value or an option the part does not take stops it with a
/// usage error (exit 64) that names the option, before anything runs; none is ignored.
@Suite("usher-bench arguments")
struct BenchCommandTests {
    @Test("a value that is no number in range is refused, naming the option and what to give")
    func badValues() throws {
        var rounds = try BenchOptions(["--rounds", "many"])
        #expect(throws: BenchOptions.UsageError.self) { try rounds.integer("rounds", 1...1000, as: Int.self) }
        var zero = try BenchOptions(["--rounds", "0"])
        let error = #expect(throws: BenchOptions.UsageError.self) { try zero.integer("rounds", 1...1000, as: Int.self) }
        #expect(error?.description == "--rounds '0': give a whole number from 1 to 1000")
        var tables = try BenchOptions(["--tables", "10000,lots"])
        #expect(throws: BenchOptions.UsageError.self) { try tables.integers("tables", UInt32(1)...UInt32(1 << 26)) }
        var seconds = try BenchOptions(["--seconds", "nan"])
        #expect(throws: BenchOptions.UsageError.self) { try seconds.number("seconds", 0.001...3600, what: "seconds") }
        var good = try BenchOptions(["--tables", "10000,100000", "--seconds", "2.5"])
        #expect(try good.integers("tables", UInt32(1)...UInt32(1 << 26)) == [10000, 100000])
        #expect(try good.number("seconds", 0.001...3600, what: "seconds") == 2.5)
        try good.checkAllUsed(by: "flows")
    }

    @Test("a missing value, a repeated option and an option the part never reads are refused")
    func shapes() throws {
        #expect(throws: BenchOptions.UsageError.self) { try BenchOptions(["--rounds"]) }
        #expect(throws: BenchOptions.UsageError.self) { try BenchOptions(["--rounds", "--out", "x"]) }
        #expect(throws: BenchOptions.UsageError.self) { try BenchOptions(["--rounds", "2", "--rounds", "3"]) }
        #expect(throws: BenchOptions.UsageError.self) { try BenchOptions(["rounds", "2"]) }
        var options = try BenchOptions(["--rounds", "2", "--frames", "9"])
        _ = try options.integer("rounds", 1...1000, as: Int.self)
        let error = #expect(throws: BenchOptions.UsageError.self) { try options.checkAllUsed(by: "xdp-cost") }
        #expect(error?.description == "--frames is not an option of xdp-cost")
    }

    @Test("usher-bench exits 64 on a bad argument before running the part, 0 for --help")
    func exitCodes() {
        #expect(BenchCommand.main(["xdp-cost", "--rounds", "abc"]) == 64)
        #expect(BenchCommand.main(["xdp-cost", "--frames", "1000"]) == 64)
        #expect(BenchCommand.main(["cluster", "--balancer-budget", "0"]) == 64)
        #expect(BenchCommand.main(["no-such-part"]) == 64)
        #expect(BenchCommand.main([]) == 64)
        #expect(BenchCommand.main(["--help"]) == 0)
    }
}
