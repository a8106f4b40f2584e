import Foundation
import NIOCore
import NIOPosix
import Testing
import UsherCore
import UsherHealth
import UsherTestSupport

/// Each check type against a real server on loopback: passing, and failing its own way, with
/// the reason a user reads in `usher real list`.
@Suite(.serialized) struct HealthCheckTypeTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// A port nothing listens on: bound, then closed.
    func closedPort() async throws -> UInt16 {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = UInt16(channel.localAddress?.port ?? 0)
        try await channel.close()
        return port
    }

    @Test func tcpPassesOnAListeningPortAndFailsRefused() async throws {
        let probe = EngineProbe(group: group)
        let server = try await CheckedHTTPServer(group: group)
        let up = try await probe.once(.tcp, target: EngineProbe.target(port: server.port))
        #expect(up.lastPassed == true && up.state == .up && up.lastLatencySeconds != nil)
        let refused = try await probe.once(.tcp, target: EngineProbe.target(port: try await closedPort()))
        #expect(refused.lastPassed == false)
        #expect(refused.state == .down)
        #expect(refused.lastError == "connect refused")
        await server.close()
        await probe.engine.stop()
    }

    @Test func ipv6RealsAreCheckedWithABracketedHost() async throws {
        let probe = EngineProbe(group: group)
        let server = try await CheckedHTTPServer(group: group, host: "::1")
        let target = EngineProbe.target(port: server.port, address: IPAddress("::1")!)
        #expect(try await probe.once(.tcp, target: target).lastPassed == true)
        let http = try await probe.once(.http(path: "/", expectStatus: 200), target: target)
        #expect(http.lastPassed == true, "\(http)")
        #expect(server.requests.last?.headers["Host"] == ["[::1]:\(server.port)"])
        await server.close()
        await probe.engine.stop()
    }

    @Test func httpJudgesStatusRangesBodyMethodAndHost() async throws {
        let probe = EngineProbe(group: group)
        let server = try await CheckedHTTPServer(group: group, status: 204, body: "ready: yes")
        let target = EngineProbe.target(port: server.port)
        let ok = try await probe.once(
            .http(HTTPCheck(method: "HEAD", path: "/healthz", expectStatus: StatusCodes([200...299]))), target: target)
        #expect(ok.lastPassed == true, "\(ok)")
        #expect(server.requests.last?.method == .HEAD)
        #expect(server.requests.last?.uri == "/healthz")
        #expect(server.requests.last?.headers["Host"] == ["127.0.0.1:\(server.port)"])

        server.set(status: 503)
        let wrongStatus = try await probe.once(
            .http(HTTPCheck(path: "/", host: "app.example", expectStatus: StatusCodes([200...399]))), target: target)
        #expect(wrongStatus.lastPassed == false)
        #expect(wrongStatus.lastError == "status 503, expected 200-399")
        #expect(server.requests.last?.headers["Host"] == ["app.example"])

        server.set(status: 200, body: "ready: no")
        let wrongBody = try await probe.once(.http(HTTPCheck(path: "/", bodyContains: "ready: yes")), target: target)
        #expect(wrongBody.lastError == "body does not contain \"ready: yes\"")
        server.set(status: 200, body: "state ready: yes")
        let rightBody = try await probe.once(.http(HTTPCheck(path: "/", bodyContains: "ready: yes")), target: target)
        #expect(rightBody.lastPassed == true, "\(rightBody)")
        await server.close()
        await probe.engine.stop()
    }

    @Test func httpsVerifiesTheChainAndTheName() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let otherCA = try CertificatesFixture(caName: "Another CA")
        defer { otherCA.remove() }
        let probe = EngineProbe(group: group)
        let named = try await CheckedHTTPServer(group: group, tls: try pki.issue("real", dnsNames: ["real.example"]))
        let target = EngineProbe.target(port: named.port)
        let check = HTTPCheck(path: "/")

        let good = try await probe.once(.https(check, HealthCheckTLS(serverName: "real.example", caPath: pki.caPath)), target: target)
        #expect(good.lastPassed == true, "\(good)")
        let wrongCA = try await probe.once(.https(check, HealthCheckTLS(serverName: "real.example", caPath: otherCA.caPath)), target: target)
        #expect(wrongCA.lastPassed == false)
        #expect(wrongCA.lastError?.hasPrefix("TLS:") == true, "\(String(describing: wrongCA.lastError))")
        let badName = try await probe.once(.https(check, HealthCheckTLS(serverName: "other.example", caPath: pki.caPath)), target: target)
        #expect(badName.lastPassed == false)
        #expect(badName.lastError?.hasPrefix("TLS:") == true, "\(String(describing: badName.lastError))")
        let unverified = try await probe.once(.https(check, HealthCheckTLS(serverName: "other.example", verify: false)), target: target)
        #expect(unverified.lastPassed == true, "\(unverified)")
        let plainToTLS = try await probe.once(.http(check), target: target)
        #expect(plainToTLS.lastPassed == false)
        await named.close()
        await probe.engine.stop()
    }

    @Test func udpMatchesBytesOrARegexAndFailsOnSilence() async throws {
        let probe = EngineProbe(group: group)
        let echo = try await DatagramResponder(group: group) { Array("pong \(String(decoding: $0, as: UTF8.self))".utf8) }
        let silent = try await DatagramResponder(group: group) { _ in nil }
        let send = Array("ping".utf8)
        let target = EngineProbe.target(port: echo.port)

        #expect(try await probe.once(.udp(UDPCheck(send: send)), target: target).lastPassed == true)
        #expect(try await probe.once(.udp(UDPCheck(send: send, expect: .bytes(Array("pong ping".utf8)))), target: target).lastPassed == true)
        let regex = try await probe.once(.udp(UDPCheck(send: send, expect: .regex("^pong [a-z]+$"))), target: target)
        #expect(regex.lastPassed == true, "\(regex)")
        let mismatch = try await probe.once(.udp(UDPCheck(send: send, expect: .regex("^PONG"))), target: target)
        #expect(mismatch.lastError == "reply does not match /^PONG/")

        let started = Date()
        let silence = try await probe.once(.udp(UDPCheck(send: send)), target: EngineProbe.target(port: silent.port), timeout: 0.5)
        #expect(silence.lastError == "no answer within 0.5s")
        #expect(silent.count >= 1, "the datagram reached the silent server")
        #expect(Date().timeIntervalSince(started) < 3)
        await echo.close()
        await silent.close()
        await probe.engine.stop()
    }

    @Test func dnsExpectsTheRcode() async throws {
        let probe = EngineProbe(group: group)
        let healthy = try await DatagramResponder.dns(group: group, rcode: 0)
        let failing = try await DatagramResponder.dns(group: group, rcode: 2)
        let query = DNSCheck(name: "www.example.com", type: 1)
        #expect(try await probe.once(.dns(query), target: EngineProbe.target(port: healthy.port)).lastPassed == true)
        let servfail = try await probe.once(.dns(query), target: EngineProbe.target(port: failing.port))
        #expect(servfail.lastError == "rcode SERVFAIL, expected NOERROR")
        var acceptServfail = query
        acceptServfail.expectRcodes = [0, 2]
        #expect(try await probe.once(.dns(acceptServfail), target: EngineProbe.target(port: failing.port)).lastPassed == true)
        await healthy.close()
        await failing.close()
        await probe.engine.stop()
    }

    @Test func noneIsAlwaysUp() async throws {
        let probe = EngineProbe(group: group)
        let target = EngineProbe.target(port: try await closedPort())
        probe.engine.update([target: HealthCheck(kind: .none, intervalSeconds: 0.1, timeoutSeconds: 0.05, rise: 1, fall: 1)],
                            initial: [target: HealthStatus(state: .down, since: Date())])
        try await Task.sleep(for: .milliseconds(300))
        #expect(probe.engine.isUp(target))
        #expect(probe.engine.status(of: target)?.state == .up)
        #expect(probe.engine.status(of: target)?.lastCheck == nil, "a none check never probes")
        await probe.engine.stop()
    }
}
