import Foundation
import NIOCore
import Testing
import UsherCore
@testable import UsherProxy

/// Resident set size of this process, from /proc/self/statm (pages × page size).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

@Suite(.timeLimit(.minutes(3))) struct ProxyLoadTests {
    /// 10,000 requests over 50 concurrent keep-alive connections, all answered, each logged,
    /// without the process growing.
    @Test func tenThousandRequestsUnderConcurrentLoad() async throws {
        let log = "/tmp/usher-proxy-load-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(log) }
        try await withProxy(reals: ["a", "b", "c"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!, r["c"]!])], accessLog: .file(log))]
        } _: { h in
            // Warm up (connection pools, allocator caches), then measure.
            _ = try await Self.load(h, connections: 50, perConnection: 20)
            let before = residentBytes()
            let start = NIODeadline.now()
            let (ok, failures) = try await Self.load(h, connections: 50, perConnection: 200)
            let elapsed = NIODeadline.now() - start
            let after = residentBytes()
            #expect(ok == 10_000, "failures: \(failures.prefix(5))")
            #expect(h.requestsAtReals == 11_000)
            let counts = ["a", "b", "c"].map { h.real($0).completedRequests }
            #expect(counts.allSatisfy { abs($0 - 11_000 / 3) <= 1 }, "round robin over the load: \(counts)")
            // Growth beyond a few MiB of allocator slack would be a leak per request or connection.
            #expect(after - before < 16 << 20, "resident \(before >> 20) MiB → \(after >> 20) MiB")
            print("load: 10000 requests in \(elapsed.nanoseconds / 1_000_000) ms, resident \(before >> 20) → \(after >> 20) MiB")
            try await h.proxy.stop()
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count
            #expect(lines == 11_000, "one access log line per request")
        }
    }

    static func load(_ h: ProxyHarness, connections: Int, perConnection: Int) async throws -> (Int, [String]) {
        try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
            for c in 0..<connections {
                group.addTask {
                    let client = try await h.client()
                    var ok = 0
                    var failures: [String] = []
                    for i in 0..<perConnection {
                        do {
                            let res = try await client.send(TestRequest(.GET, "/c\(c)/r\(i)"))
                            if res.status == 200, res.echoed("uri") == ["/c\(c)/r\(i)"] { ok += 1 } else { failures.append("status \(res.status)") }
                        } catch {
                            failures.append("\(error)")
                            break
                        }
                    }
                    await client.close()
                    return (ok, failures)
                }
            }
            var ok = 0
            var failures: [String] = []
            for try await (n, f) in group {
                ok += n
                failures += f
            }
            return (ok, failures)
        }
    }
}
