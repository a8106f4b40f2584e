import Foundation
import Testing
@testable import UsherProxy

/// `usher proxy` as operators run it, inside a network namespace of its own: it listens on VIPs
/// that no interface holds yet (IP_FREEBIND, IPV6_FREEBIND), serves them once they arrive, and
/// writes its counters where `usher stats` finds them.
@Suite(.timeLimit(.minutes(1)), .enabled(if: geteuid() == 0, "needs root (network namespaces)"))
struct ProxyCommandNetnsTests {
    static let config = """
        services:
          - name: vip4
            vip: 203.0.113.10
            port: 8080
            protocol: tcp
            mode: http
            access-log: none
            pools:
              - name: app
                reals:
                  - address: 127.0.0.1
                    port: 8081
            default-pool: app
          - name: vip6
            vip: 2001:db8::10
            port: 8080
            protocol: tcp
            mode: http
            access-log: none
            pools:
              - name: app
                reals:
                  - address: 127.0.0.1
                    port: 8081
            default-pool: app
        """

    private func waitFor(seconds: Double, _ done: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try done() { return true }
            usleep(50_000)
        }
        return try done()
    }

    @Test func servesVIPsThatArriveAfterItStartedAndReportsItsCounters() throws {
        let usher = try ProxyTestProcess.usherPath()
        let tag = String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        let ns = "uprx-\(tag)"
        let dir = NSTemporaryDirectory() + "usher-proxy-netns-\(getpid())-\(tag)"
        let state = dir + "/state"
        try FileManager.default.createDirectory(atPath: dir + "/www", withIntermediateDirectories: true)
        try "hello-from-real\n".write(toFile: dir + "/www/hello.txt", atomically: true, encoding: .utf8)
        try Self.config.write(toFile: dir + "/usher.yaml", atomically: true, encoding: .utf8)
        try ProxyTestProcess.ip("netns", "add", ns)
        var running: [ProxyTestProcess.Running] = []
        defer {
            for p in running.reversed() { p.stop() }
            try? ProxyTestProcess.ip("netns", "del", ns)
            try? FileManager.default.removeItem(atPath: dir)
        }
        try ProxyTestProcess.ip("-n", ns, "link", "set", "lo", "up")
        let enter = ["/usr/bin/nsenter", "--net=/run/netns/\(ns)"]
        running.append(try ProxyTestProcess.start(
            enter + ["/usr/bin/python3", "-m", "http.server", "8081", "--bind", "127.0.0.1", "--directory", dir + "/www"],
            stdout: dir + "/real.out", stderr: dir + "/real.err"))
        let proxy = try ProxyTestProcess.start(
            enter + [usher, "proxy", "-c", dir + "/usher.yaml", "--state-dir", state, "--threads", "2"],
            stdout: dir + "/proxy.out", stderr: dir + "/proxy.err")
        running.append(proxy)
        let log = { (try? String(contentsOfFile: dir + "/proxy.err", encoding: .utf8)) ?? "" }
        #expect(waitFor(seconds: 10) { log().components(separatedBy: "listening").count == 3 }, "both listeners up: \(log())")
        // The real must answer before the counted requests: one refused while python starts
        // (slow on a loaded machine) would be a 502 and a connect error in the counters.
        let realUp = try waitFor(seconds: 10) {
            try ProxyTestProcess.run(enter + ["/usr/bin/curl", "-s", "-m", "1", "http://127.0.0.1:8081/hello.txt"]).out == "hello-from-real\n"
        }
        #expect(realUp, "the python real server answers")

        // Bound while no interface held them:
        let addresses = try ProxyTestProcess.run(["/usr/sbin/ip", "-n", ns, "-o", "addr"]).out
        #expect(!addresses.contains("203.0.113.10") && !addresses.contains("2001:db8::10"), "\(addresses)")
        // Then the VIPs arrive (as the XDP program's traffic would, on a host route or interface).
        try ProxyTestProcess.ip("-n", ns, "addr", "add", "203.0.113.10/32", "dev", "lo")
        try ProxyTestProcess.ip("-n", ns, "addr", "add", "2001:db8::10/128", "dev", "lo")
        for url in ["http://203.0.113.10:8080/hello.txt", "http://[2001:db8::10]:8080/hello.txt"] {
            let answered = try waitFor(seconds: 5) {
                try ProxyTestProcess.run(enter + ["/usr/bin/curl", "-s", "-m", "2", url]).out == "hello-from-real\n"
            }
            #expect(answered, "\(url) served through the proxy; log: \(log())")
        }
        for _ in 0..<3 {
            _ = try ProxyTestProcess.run(enter + ["/usr/bin/curl", "-s", "-m", "2", "http://203.0.113.10:8080/hello.txt"])
        }
        _ = try ProxyTestProcess.run(enter + ["/usr/bin/curl", "-s", "-m", "2", "http://203.0.113.10:8080/missing"])

        // Within a second or so, the snapshot has them (4 + 1 requests on vip4).
        var snapshot: ProxyStatistics?
        let counted = try waitFor(seconds: 4) {
            snapshot = try ProxyStatistics.read(fromDirectory: state)
            return snapshot?.services.first { $0.name == "vip4" }?.requests == 5
        }
        #expect(counted, "\(String(describing: snapshot))")
        let vip4 = try #require(snapshot?.services.first { $0.name == "vip4" })
        #expect(vip4.responses.success == 4 && vip4.responses.clientError == 1, "python answers the missing file 404")
        #expect(vip4.bytesOut >= 4 * 16)
        let member = try #require(vip4.pools.first?.members.first)
        #expect(member.address == "127.0.0.1:8081" && member.health == "up" && member.requests == 5)
        #expect(member.responses.success == 4 && member.connectErrors == 0)
        #expect(snapshot?.services.first { $0.name == "vip6" }.map { $0.requests >= 1 } == true)

        // `usher stats` on a host with no data plane pinned shows the proxy alone, and says (exit
        // 1) that the data plane's counters are missing.
        let noPin = ["--state-dir", state, "--pin-dir", dir + "/no-pins"]
        let text = try ProxyTestProcess.run([usher, "stats"] + noPin)
        #expect(text.status == 1 && text.err.contains("no Usher maps are pinned there"), "\(text.err)")
        #expect(text.out.hasPrefix("proxy (usher proxy pid \(proxy.process.processIdentifier))"), "\(text.out)")
        #expect(text.out.contains("vip4") && text.out.contains("127.0.0.1:8081") && !text.out.contains("stale"), "\(text.out)")
        let json = try ProxyTestProcess.run([usher, "stats", "--json"] + noPin)
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        let section = try #require(object?["proxy"] as? [String: Any], "\(json.out)")
        #expect(section["state"] as? String == "fresh")
        let services = section["services"] as? [[String: Any]] ?? []
        #expect(services.first { $0["name"] as? String == "vip4" }?["requests"] as? Int == 5, "\(json.out)")

        // A snapshot nobody refreshes is called stale, with its age.
        var old = try #require(snapshot)
        old.writtenAt = Date().addingTimeInterval(-42)
        try old.write(toDirectory: dir + "/old")
        let staleText = try ProxyTestProcess.run([usher, "stats", "--state-dir", dir + "/old", "--pin-dir", dir + "/no-pins"])
        // 42 s old when written; the command itself takes a moment to start.
        #expect(["42", "43", "44"].contains { staleText.out.contains("stale: not updated for \($0) s") }, "\(staleText.out)")
        let staleJSON = try ProxyTestProcess.run([usher, "stats", "--json", "--state-dir", dir + "/old", "--pin-dir", dir + "/no-pins"])
        let staleSection = (try JSONSerialization.jsonObject(with: Data(staleJSON.out.utf8)) as? [String: Any])?["proxy"] as? [String: Any]
        #expect(staleSection?["state"] as? String == "stale")
        #expect(((staleSection?["age_seconds"] as? Double) ?? 0) >= 42)

        // No data plane and no proxy snapshot: the data plane's error, as before.
        let nothing = try ProxyTestProcess.run([usher, "stats", "--state-dir", dir + "/empty", "--pin-dir", dir + "/no-pins"])
        #expect(nothing.status != 0 && nothing.err.hasPrefix("usher: "), "\(nothing.err)")
    }
}
