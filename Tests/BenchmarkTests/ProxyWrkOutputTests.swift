import Testing
@testable import UsherBenchKit

/// wrk's report is read right: the figures of part 5 come from it.
@Suite("Proxy part: wrk's output")
struct ProxyWrkOutputTests {
    /// Recorded from `wrk -t1 -c50 -d5s --latency` (wrk 4.1.0, Debian 12) against nginx.
    static let keepAlive = """
        Running 5s test @ http://203.0.113.10:8003/
          1 threads and 50 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency   638.36us  213.69us   6.53ms   87.13%
            Req/Sec    79.21k     3.51k   84.05k    80.00%
          Latency Distribution
             50%  594.00us
             75%  680.00us
             90%  824.00us
             99%    1.31ms
          394100 requests in 5.00s, 58.26MB read
        Requests/sec:  78812.34
        Transfer/sec:     11.65MB
        """

    /// Recorded with `-H "Connection: close"` against a proxy that dropped some connections.
    static let withErrors = """
        Running 2s test @ https://203.0.113.10:8441/
          1 threads and 50 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency    27.91ms   10.02ms   1.02s    95.00%
            Req/Sec     1.80k   210.11     2.10k    70.00%
          Latency Distribution
             50%   26.50ms
             75%   30.10ms
             90%   35.00ms
             99%    1.02s
          3590 requests in 2.01s, 1.01MB read
          Socket errors: connect 3, read 12, write 0, timeout 7
          Non-2xx or 3xx responses: 5
        Requests/sec:   1786.07
        Transfer/sec:    513.59KB
        """

    @Test("a clean keep-alive run: totals, rate and percentiles in milliseconds")
    func keepAlive() throws {
        let out = try ProxyWrkOutput(parsing: Self.keepAlive)
        #expect(out.requests == 394_100)
        #expect(out.seconds == 5.0)
        #expect(out.requestsPerSecond == 78812.34)
        #expect(abs(out.p50Ms - 0.594) < 1e-9)
        #expect(abs(out.p99Ms - 1.31) < 1e-9)
        #expect(out.socketErrors == 0)
        #expect(out.non2xx == 0)
    }

    @Test("socket errors are added up, non-2xx answers counted, seconds read as such")
    func errors() throws {
        let out = try ProxyWrkOutput(parsing: Self.withErrors)
        #expect(out.requests == 3590)
        #expect(abs(out.seconds - 2.01) < 1e-9)
        #expect(out.socketErrors == 3 + 12 + 0 + 7)
        #expect(out.non2xx == 5)
        #expect(abs(out.p50Ms - 26.5) < 1e-9)
        #expect(abs(out.p99Ms - 1020) < 1e-9)
    }

    @Test("a report without the latency distribution (no --latency) or without a rate is refused")
    func incomplete() {
        let noLatency = Self.keepAlive.split(separator: "\n").filter { !$0.contains("%  ") }.joined(separator: "\n")
        #expect(throws: ProxyWrkOutput.ParseError.self) { try ProxyWrkOutput(parsing: noLatency) }
        #expect(throws: ProxyWrkOutput.ParseError.self) { try ProxyWrkOutput(parsing: "unable to connect to 203.0.113.10:8001 Connection refused") }
    }

    @Test("wrk's time units", arguments: [("594.00us", 0.594), ("1.31ms", 1.31), ("2.00s", 2000.0), ("1.50m", 90_000.0)])
    func units(text: String, ms: Double) {
        #expect(abs(ProxyWrkOutput.milliseconds(text)! - ms) < 1e-9)
    }
}

/// `perf stat -x,`'s count of system calls, as ProxySyscalls reads it.
@Suite("Proxy part: perf stat's count")
struct ProxySyscallCountTests {
    @Test("the count of the tracepoint's line; nil when perf could not count it")
    func count() {
        #expect(ProxySyscalls.count("123456,,raw_syscalls:sys_enter,2000349761,100.00,,\n") == 123_456)
        #expect(ProxySyscalls.count("<not counted>,,raw_syscalls:sys_enter,0,0.00,,\n") == nil)
        #expect(ProxySyscalls.count("perf: no such process\n") == nil)
    }
}
