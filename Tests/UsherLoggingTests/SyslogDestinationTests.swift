import Foundation
import Logging
import Testing
import UsherCore
import UsherLogging
import UsherTestSupport

/// Log lines sent to real listeners (Tools/lab-listener.py: a UDP socket, a TCP socket reading
/// RFC 6587 octet counting, a Unix datagram socket standing in for /dev/log) and parsed there,
/// strictly, as RFC 5424 — by code that is not Usher's.
@Suite(.serialized) struct SyslogDestinationTests {
    /// A logger writing through `router` only (not the process's bootstrap).
    func logger(_ router: LogRouter, label: String = "usher") -> Logger {
        Logger(label: label) { router.handler(label: $0, level: .debug) }
    }

    func socketDirectory() throws -> String {
        let path = "/tmp/usher-log-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func structuredData(_ entry: [String: Any]) -> [String: String] {
        ((entry["parsed"] as? [String: Any])?["sd"] as? [String: Any])?["usher@32473"] as? [String: String] ?? [:]
    }

    @Test func aLineReachesTheLocalSocketUDPAndTCPAsRFC5424() throws {
        let directory = try socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let local = directory + "/log.sock"
        let listener = try ListenerProcess("syslog", ["--unix", local])
        defer { listener.stop() }
        let router = LogRouter(hostname: "lb1", procID: "77", report: { _ in })
        defer { router.shutdown() }
        router.configure(LoggingSettings(
            localSyslog: local,
            remoteSyslog: [SyslogEndpoint(transport: .udp, host: "127.0.0.1", port: listener.ports["udp"] ?? 0),
                           SyslogEndpoint(transport: .tcp, host: "127.0.0.1", port: listener.ports["tcp"] ?? 0)],
            facility: .local3))
        logger(router).warning("real server down", metadata: ["service": "web", "real": "198.51.100.12:80", "state": "down",
                                                               "reason": #"connect: "refused" [111]"#])
        let entries = listener.waitForEntries(3)
        #expect(Set(entries.compactMap { $0["transport"] as? String }) == ["unix", "udp", "tcp"], "\(entries)")
        for entry in entries {
            let parsed = try #require(entry["parsed"] as? [String: Any], "not RFC 5424: \(entry)")
            #expect(parsed["facility"] as? Int == 19 && parsed["severity"] as? Int == 4, "\(parsed)")
            #expect(parsed["hostname"] as? String == "lb1" && parsed["app"] as? String == "usher" && parsed["procid"] as? String == "77")
            #expect(parsed["msgid"] as? String == "-")
            #expect(parsed["msg"] as? String == "real server down")
            #expect(structuredData(entry) == ["service": "web", "real": "198.51.100.12:80", "state": "down",
                                              "reason": #"connect: "refused" [111]"#])
        }
        #expect(router.statistics().map(\.sent) == [1, 1, 1])
    }

    @Test func anEventCarriesItsKindAsMessageIDAndItsFields() throws {
        let listener = try ListenerProcess("syslog")
        defer { listener.stop() }
        let router = LogRouter(report: { _ in })
        defer { router.shutdown() }
        router.configure(LoggingSettings(remoteSyslog: [SyslogEndpoint(transport: .udp, host: "127.0.0.1", port: listener.ports["udp"] ?? 0)]))
        let event = DaemonEvent(sequence: 7, kind: .serviceState, severity: .error, service: "web", state: "down",
                                previousState: "degraded", message: "web is down: 0 of 3 reals up")
        event.log(to: logger(router, label: "usher.events"))
        let entry = try #require(listener.waitForEntries(1).first)
        let parsed = try #require(entry["parsed"] as? [String: Any], "\(entry)")
        #expect(parsed["msgid"] as? String == "service-state" && parsed["severity"] as? Int == 3)
        #expect(structuredData(entry) == ["event": "service-state", "sequence": "7", "service": "web", "state": "down",
                                          "previous_state": "degraded"])
    }

    @Test func linesWaitForATCPServerThatComesBack() throws {
        var listener = try ListenerProcess("syslog")
        let port = listener.ports["tcp"] ?? 0
        let router = LogRouter(report: { _ in })
        defer { router.shutdown() }
        router.configure(LoggingSettings(remoteSyslog: [SyslogEndpoint(transport: .tcp, host: "127.0.0.1", port: port)]))
        let log = logger(router)
        log.info("before")
        #expect(listener.waitForEntries(1).count == 1)
        listener.stop()
        // The first write after the server left may still be taken by the kernel; the rest wait.
        for i in 1...4 {
            log.info("while away \(i)")
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(router.statistics().first?.lastError != nil)
        listener = try ListenerProcess("syslog", ["--tcp", String(port)])
        defer { listener.stop() }
        let deadline = Date(timeIntervalSinceNow: 8)
        var messages: [String] = []
        while !messages.contains("while away 4"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            messages = listener.entries().compactMap { ($0["parsed"] as? [String: Any])?["msg"] as? String }
        }
        #expect(messages.suffix(3) == ["while away 2", "while away 3", "while away 4"], "\(messages)")
        #expect(router.statistics().first?.lastError == nil)
    }

    @Test func aFullQueueDropsAndCountsInsteadOfWaiting() throws {
        let directory = try socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A syslog that never reads: its socket's queue fills, then each send waits its timeout.
        let path = directory + "/stuck.sock"
        let stuck = try boundDatagramSocket(path)
        defer { close(stuck) }
        let router = LogRouter(report: { _ in })
        defer { router.shutdown(timeout: 0) }
        router.configure(LoggingSettings(localSyslog: path, queueSize: 10))
        let log = logger(router)
        let start = Date()
        for i in 0..<5000 { log.info("line \(i) \(String(repeating: "x", count: 200))") }
        let took = Date().timeIntervalSince(start)
        #expect(took < 2, "5000 lines took \(took) s: the logger waited for the socket")
        let stats = try #require(router.statistics().first)
        #expect(stats.dropped > 0 && stats.queued <= 10, "\(stats)")
        #expect(stats.sent + stats.dropped + stats.queued + stats.failed <= 5000)
    }

    @Test func aReloadKeepsTheDestinationsThatStayAndClosesTheOthers() throws {
        let listener = try ListenerProcess("syslog")
        defer { listener.stop() }
        let udp = SyslogEndpoint(transport: .udp, host: "127.0.0.1", port: listener.ports["udp"] ?? 0)
        let tcp = SyslogEndpoint(transport: .tcp, host: "127.0.0.1", port: listener.ports["tcp"] ?? 0)
        let router = LogRouter(report: { _ in })
        defer { router.shutdown() }
        router.configure(LoggingSettings(remoteSyslog: [udp]))
        logger(router).info("one")
        #expect(listener.waitForEntries(1).count == 1)
        router.configure(LoggingSettings(remoteSyslog: [tcp, udp]))
        #expect(router.statistics().map(\.target) == [.remote(udp), .remote(tcp)])
        #expect(router.statistics().first?.sent == 1, "the UDP destination was made again")
        router.configure(LoggingSettings(remoteSyslog: [tcp]))
        logger(router).info("two")
        let entries = listener.waitForEntries(2)
        #expect(entries.map { $0["transport"] as? String } == ["udp", "tcp"])
    }

    /// A Unix datagram socket bound at `path` that nobody reads.
    func boundDatagramSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, result == 0 else { throw CocoaError(.fileWriteUnknown) }
        return fd
    }
}
