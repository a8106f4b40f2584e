import Foundation
import Testing
@testable import UsherBenchKit

/// From samples to proxy.json to the report: the summaries, the round-by-round ratios, the
/// target, and the JSON read back by the report writer.
@Suite("Proxy part: results and report")
struct ProxyResultTests {
    static func sample(round: Int, rps: Double, proxy: Double, wrk: Double = 0.4) -> ProxyResult.Sample {
        let output = ProxyWrkOutput(requests: Int(rps * 2), seconds: 2, requestsPerSecond: rps, p50Ms: 0.5, p99Ms: 2,
                               socketErrors: 0, non2xx: 0)
        return .init(round: round, wrk: output, wallSeconds: 2, proxyCpu: proxy, wrkCpu: wrk, realsCpu: 0.1,
                     cpu0Busy: wrk + 0.1, cpu1Busy: proxy,
                     bottleneck: .of(proxy: proxy, wrk: wrk, reals: 0.1, clientCore: wrk + 0.1, proxyCore: proxy),
                     requestsPerProxyCpuSecond: rps * 2 / (proxy * 2))
    }

    static func result() -> ProxyResult {
        let usher = [sample(round: 1, rps: 40_000, proxy: 0.99), sample(round: 2, rps: 30_000, proxy: 0.98)]
        let haproxy = [sample(round: 1, rps: 80_000, proxy: 0.99), sample(round: 2, rps: 50_000, proxy: 0.97)]
        let nginx = [sample(round: 1, rps: 20_000, proxy: 0.5, wrk: 0.95), sample(round: 2, rps: 30_000, proxy: 0.5, wrk: 0.95)]
        var r = ProxyResult(rounds: 2, seconds: 2, connections: 50, reals: 3, bodyBytes: 116,
                            versions: ["haproxy": "HAProxy version 2.6.12", "nginx": "nginx version: nginx/1.22.1"])
        let samples: [ProxyPeers.Kind: [ProxyResult.Sample]] = [.usher: usher, .haproxy: haproxy, .nginx: nginx]
        for kind in ProxyPeers.Kind.allCases { r.rows.append(ProxyBench.row(.httpKeepAlive, kind, samples[kind]!)!) }
        r.ratios = [ProxyBench.ratio(.httpKeepAlive, .haproxy, samples)!, ProxyBench.ratio(.httpKeepAlive, .nginx, samples)!]
        r.targets = ProxyBench.targets(r.rows)
        return r
    }

    @Test("medians and ranges per proxy; the bottleneck of most rounds")
    func rows() throws {
        let r = Self.result()
        let usher = try #require(r.rows.first { $0.proxy == .usher })
        #expect(usher.requestsPerSecond.median == 35_000 && usher.requestsPerSecond.min == 30_000)
        #expect(usher.bottleneck == .proxy && usher.bottleneckRounds == 2)
        let nginx = try #require(r.rows.first { $0.proxy == .nginx })
        #expect(nginx.bottleneck == .wrk, "wrk saturated: nginx's figure is the client's limit")
    }

    @Test("ratios are taken round by round, not as a ratio of medians")
    func ratios() throws {
        let r = Self.result()
        let h = try #require(r.ratios.first { $0.peer == .haproxy })
        // Round 1: 40k / 80k = 0.5; round 2: 30k / 50k = 0.6.
        #expect(abs(h.requestsPerSecond.min - 0.5) < 1e-9 && abs(h.requestsPerSecond.max - 0.6) < 1e-9)
        #expect(abs(h.requestsPerSecond.median - 0.55) < 1e-9)
    }

    @Test("the target compares requests per proxy CPU-second with HAProxy's")
    func target() throws {
        let t = try #require(Self.result().targets.first { $0.scenario == .httpKeepAlive })
        #expect(!t.met)
        #expect(t.proxyBound)
        #expect(t.usher < t.haproxy)
    }

    @Test("proxy.json is read back by the report, which says which figures are the client's limit")
    func roundTrip() throws {
        let dir = NSTemporaryDirectory() + "usher-proxy-result-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let written = PartResult(part: "proxy", command: "Tools/bench proxy --quick", started: Date(), seconds: 60,
                                 machine: Machine.current(), body: Self.result())
        try written.write(to: dir)
        let read = try #require(PartResult<ProxyResult>.read(part: "proxy", from: dir), "the JSON decodes as it was written")
        #expect(read.body.rows.count == 3)
        #expect(read.body.rows[0].requestsPerProxyCpuSecond == written.body.rows[0].requestsPerProxyCpuSecond)
        let text = ProxyReport.section(read.body)
        #expect(text.contains("## 5. The proxy tier"))
        #expect(text.contains("| HTTP, keep-alive | nginx |") && text.contains("**wrk** (client's limit)"))
        #expect(text.contains("**missed**"))
        #expect(text.contains("0.55× (0.50–0.60)"))
        let json = try String(contentsOfFile: dir + "/proxy.json", encoding: .utf8)
        #expect(json.contains("\"requests_per_second\""), "the plot writer's field")
        #expect(!text.contains("Two workers on two cores"), "no two-core section without its runs")
    }

    @Test("two workers on two cores: requests/s and p99 against HAProxy's, in the JSON and the report")
    func twoCores() throws {
        var r = Self.result()
        var two = ProxyResult.TwoCores(scenarios: [.httpKeepAlive])
        two.rows = r.rows
        two.ratios = r.ratios
        two.targets = ProxyBench.twoCoreTargets(two.rows)
        r.twoCores = two
        let t = try #require(two.targets.first)
        #expect(t.usherRequestsPerSecond == 35_000 && t.haproxyRequestsPerSecond == 65_000 && !t.requestsMet)
        #expect(t.p99Met, "the same p99 (2 ms) is no worse")

        let dir = NSTemporaryDirectory() + "usher-proxy-two-cores-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let written = PartResult(part: "proxy", command: "Tools/bench proxy", started: Date(), seconds: 60,
                                 machine: Machine.current(), body: r)
        try written.write(to: dir)
        let read = try #require(PartResult<ProxyResult>.read(part: "proxy", from: dir))
        #expect(read.body.twoCores?.targets.first?.haproxyRequestsPerSecond == 65_000)
        let text = ProxyReport.section(read.body)
        #expect(text.contains("### Two workers on two cores") && text.contains("`nbthread 2`"))
        #expect(text.contains("HTTP, keep-alive: Usher 35000 requests/s, HAProxy 65000, **missed**; p99 2.00 against 2.00 ms, **met**"))
    }

    @Test("a proxy.json written before the two-core runs still reads")
    func olderResultReads() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(Self.result())) as? [String: Any])
        object["two_cores"] = nil
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let old = try decoder.decode(ProxyResult.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.twoCores == nil && old.rows.count == 3)
    }
}
