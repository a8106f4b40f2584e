import Foundation
import NIOCore
import NIOPosix
import Testing
import UsherCore
import UsherHealth

/// The prober that runs tcp and plain-HTTP checks, against real servers on loopback: what a
/// server sees, what the checker's host keeps (no TIME_WAIT, no descriptor), and what a check
/// says when a server connects but never answers.
@Suite(.serialized) struct SocketProberTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// This host's TCP sockets (IPv4) from a checker to `port`, in any state (the server's
    /// accepted ones, whose local port it is, are not counted); of them, those in TIME_WAIT.
    func checkerSockets(to port: UInt16) throws -> (all: Int, timeWait: Int) {
        let hex = String(format: ":%04X", port)
        let lines = try String(contentsOfFile: "/proc/net/tcp", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: " ") }
            .filter { $0.count > 3 && $0[2].hasSuffix(hex) && !$0[1].hasSuffix(hex) }
        return (lines.count, lines.filter { $0[3] == "06" }.count)
    }

    /// True once no checker socket to `port` is left; false after 2 s.
    func checkerSocketsGone(to port: UInt16) async throws -> Bool {
        for _ in 0..<200 {
            if try checkerSockets(to: port).all == 0 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func checksCloseWithAResetLeavingNoTimeWaitAndNoDescriptor() async throws {
        let server = try await RawTCPServer(group: group, reply: Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
        let probe = EngineProbe(group: group)
        let target = EngineProbe.target(port: server.port)
        let check = HealthCheck(kind: .tcp, intervalSeconds: 0.02, timeoutSeconds: 1, rise: 1, fall: 1)
        probe.engine.update([target: check])
        // About 50 checks a second: wait for 100 connections, bounded.
        let end = Date().addingTimeInterval(10)
        while server.connections.count < 100, Date() < end { try await Task.sleep(for: .milliseconds(20)) }
        probe.engine.update([:])
        await probe.engine.stop()
        #expect(server.connections.count >= 100)
        #expect(probe.engine.status(of: target) == nil)
        // The server wrote an answer and the checker reset: nothing waits, nothing is left open.
        #expect(try checkerSockets(to: server.port).timeWait == 0)
        #expect(try await checkerSocketsGone(to: server.port))
        await server.close()
    }

    @Test func aServerThatConnectsButNeverAnswersFailsAtTheTimeout() async throws {
        let silent = try await RawTCPServer(group: group)
        let probe = EngineProbe(group: group)
        let status = try await probe.once(.http(path: "/", expectStatus: 200), target: EngineProbe.target(port: silent.port), timeout: 0.5)
        #expect(status.lastError == "no answer within 0.5s")
        #expect(status.lastLatencySeconds.map { $0 >= 0.5 && $0 < 0.9 } == true, "\(status)")
        // The request reached it whole; the socket is gone.
        #expect(String(decoding: silent.connections.first ?? [], as: UTF8.self).hasPrefix("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(silent.port)\r\n"))
        #expect(try await checkerSocketsGone(to: silent.port))

        // Half an answer, never finished: the same.
        let half = try await RawTCPServer(group: group, reply: Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstill".utf8))
        let body = try await probe.once(.http(HTTPCheck(path: "/", bodyContains: "ready")), target: EngineProbe.target(port: half.port), timeout: 0.5)
        #expect(body.lastError == "no answer within 0.5s")
        await probe.engine.stop()
        await silent.close()
        await half.close()
    }

    @Test func aTCPCheckWritesItsProxyHeaderBeforeItCloses() async throws {
        let server = try await RawTCPServer(group: group)
        let probe = EngineProbe(group: group)
        let target = EngineProbe.target(port: server.port)
        var check = HealthCheck(kind: .tcp, intervalSeconds: 1, timeoutSeconds: 1, rise: 1, fall: 1)
        check.proxyProtocol = .v1
        probe.engine.update([target: check])
        let status = try await probe.waitFor(target, within: 5) { $0.lastCheck != nil }
        #expect(status.lastPassed == true)
        let end = Date().addingTimeInterval(5)
        while server.connections.first?.isEmpty != false, Date() < end { try await Task.sleep(for: .milliseconds(10)) }
        #expect(String(decoding: server.connections.first ?? [], as: UTF8.self) == "PROXY UNKNOWN\r\n")
        probe.engine.update([:])
        await probe.engine.stop()
        await server.close()
    }
}
