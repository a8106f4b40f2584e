import Foundation
import NIOPosix
import Testing
import UsherCore
import UsherHealth

/// A real whose address swallows packets (no RST, no ICMP): every check type that opens a
/// socket fails at its timeout, and says so.
@Suite(.serialized) struct HealthBlackHoleTests {
    @Test func aBlackHoledAddressFailsAtTheTimeout() async throws {
        let group: MultiThreadedEventLoopGroup
        do {
            group = try PrivateNetwork.blackHoleGroup()
        } catch {
            // Without root or veth there is no way to drop packets on purpose.
            withKnownIssue("black hole unavailable: \(error)") { throw error }
            return
        }
        let probe = EngineProbe(group: group)
        let target = EngineProbe.target(port: 80, address: IPAddress(PrivateNetwork.blackHole)!)
        let kinds: [HealthCheckKind] = [.tcp, .http(path: "/", expectStatus: 200), .udp(UDPCheck(send: [1])), .dns(DNSCheck(name: "example.com"))]
        for kind in kinds {
            let status = try await probe.once(kind, target: target, timeout: 0.5)
            #expect(status.lastPassed == false, "\(kind.name)")
            #expect(status.lastError == "no answer within 0.5s" || status.lastError == "connect timed out after 0.5s",
                    "\(kind.name): \(String(describing: status.lastError))")
            #expect(status.lastLatencySeconds.map { $0 >= 0.45 && $0 < 0.9 } == true,
                    "\(kind.name): \(String(describing: status.lastLatencySeconds))")
        }
        await probe.engine.stop()
        try await group.shutdownGracefully()
    }
}
