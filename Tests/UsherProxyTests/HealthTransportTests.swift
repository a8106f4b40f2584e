import Logging
import NIOCore
import NIOPosix
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherProxy

/// Health checks speak what the pool speaks to its real servers: PROXY protocol and TLS.
@Suite struct HealthTransportTests {
    @Test func checksSendALocalProxyHeaderFirst() async throws {
        let v1 = try await HealthCheckedServer()
        let v2 = try await HealthCheckedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let monitor = PoolHealthMonitor(pools: [
            HealthMonitorTests.httpPool("v1", [v1.member], proxyProtocol: .v1),
            HealthMonitorTests.httpPool("v2", [v2.member], proxyProtocol: .v2),
        ], group: group, logger: Logger(label: "test"))
        let changes = HealthMonitorTests.Transitions(monitor)
        monitor.start()
        #expect(await HealthMonitorTests.eventually { v1.answered(.status(200)) >= 2 && v2.answered(.status(200)) >= 2 })
        await monitor.stop()
        #expect(changes.all.isEmpty)

        let get = Array("GET /health HTTP/1.1\r\n".utf8)
        for prefix in v1.prefixes {
            #expect(Array(prefix.prefix(15 + get.count)) == Array("PROXY UNKNOWN\r\n".utf8) + get)
        }
        let local: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00]
        for prefix in v2.prefixes {
            #expect(Array(prefix.prefix(16 + get.count)) == local + get)
        }
        #expect(v1.prefixes.count >= 2 && v2.prefixes.count >= 2)
        await v1.stop()
        await v2.stop()
        try await group.shutdownGracefully()
    }

    @Test func checksUseThePoolsUpstreamTLSAndItsVerification() async throws {
        let pki = try CertificatesFixture()
        let other = try CertificatesFixture(caName: "Unrelated CA")
        defer { pki.remove(); other.remove() }
        let files = try pki.issue("real", dnsNames: ["real.example"], ipAddresses: ["127.0.0.1"])
        let httpsGood = try await HealthCheckedServer(tls: files)
        let httpsWrongCA = try await HealthCheckedServer(tls: files)
        let tcpGood = try await HealthCheckedServer(tls: files)
        // Without the IP address in it: swift-nio-ssl accepts a certificate naming the peer's address.
        let tcpWrongName = try await HealthCheckedServer(tls: try pki.issue("named", dnsNames: ["real.example"]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let log = RecordedLog()
        let tcp = HealthCheck(kind: .tcp, intervalSeconds: 0.05, timeoutSeconds: 1, rise: 1, fall: 2)
        let monitor = PoolHealthMonitor(pools: [
            HealthMonitorTests.httpPool("good", [httpsGood.member], fall: 2, tls: UpstreamTLS(caPath: pki.caPath)),
            HealthMonitorTests.httpPool("wrong-ca", [httpsWrongCA.member], fall: 2, tls: UpstreamTLS(caPath: other.caPath)),
            Pool(name: "tcp-good", upstreamTLS: UpstreamTLS(caPath: pki.caPath, serverName: "real.example"),
                 healthCheck: tcp, members: [tcpGood.member]),
            Pool(name: "tcp-wrong-name", upstreamTLS: UpstreamTLS(caPath: pki.caPath, serverName: "other.example"),
                 healthCheck: tcp, members: [tcpWrongName.member]),
        ], group: group, logger: log.logger)
        let changes = HealthMonitorTests.Transitions(monitor)
        monitor.start()
        #expect(await HealthMonitorTests.eventually {
            !monitor.isUp(pool: "wrong-ca", member: httpsWrongCA.member)
                && !monitor.isUp(pool: "tcp-wrong-name", member: tcpWrongName.member)
                && httpsGood.answered(.status(200)) >= 3 && tcpGood.connections >= 3
        })
        await monitor.stop()
        #expect(Set(changes.all.map(\.pool)) == ["wrong-ca", "tcp-wrong-name"])
        #expect(monitor.isUp(pool: "good", member: httpsGood.member))
        #expect(monitor.isUp(pool: "tcp-good", member: tcpGood.member))
        // The wrong CA never got as far as a request.
        #expect(httpsWrongCA.answered(.status(200)) == 0)
        for entry in log.entries where entry.message == "real server down" {
            #expect(entry.metadata["reason"]?.contains("last: TLS") == true, "\(entry.metadata)")
        }
        for server in [httpsGood, httpsWrongCA, tcpGood, tcpWrongName] { await server.stop() }
        try await group.shutdownGracefully()
    }

    @Test func anUnusableCAFailsEveryCheckAndSaysWhy() async throws {
        let server = try await HealthCheckedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = RecordedLog()
        let monitor = PoolHealthMonitor(pools: [
            HealthMonitorTests.httpPool("broken", [server.member], fall: 1, tls: UpstreamTLS(caPath: "/nonexistent/ca.pem")),
        ], group: group, logger: log.logger)
        monitor.start()
        let saysWhy = { log.entries.contains { $0.level == .error && $0.metadata["reason"]?.contains("/nonexistent/ca.pem") == true } }
        #expect(await HealthMonitorTests.eventually { !monitor.isUp(pool: "broken", member: server.member) && saysWhy() })
        await monitor.stop()
        #expect(server.connections == 0)
        await server.stop()
        try await group.shutdownGracefully()
    }
}
