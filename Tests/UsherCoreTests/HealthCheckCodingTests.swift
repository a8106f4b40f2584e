import Foundation
import Testing
import UsherCore

/// Health checks survive a save and a load (the state file), including states saved before the
/// check types grew.
struct HealthCheckCodingTests {
    static let kinds: [HealthCheckKind] = [
        .none, .tcp, .tls(HealthCheckTLS(serverName: nil, verify: false)),
        .http(HTTPCheck(method: "HEAD", path: "/healthz", host: "app.example", expectStatus: StatusCodes([200...299, 304...304]),
                        bodyContains: "ok")),
        .https(HTTPCheck(path: "/"), HealthCheckTLS(serverName: "app.example", verify: true, caPath: "/etc/usher/ca.pem")),
        .udp(UDPCheck(send: [1, 2, 3], expect: .regex("^pong"))),
        .udp(UDPCheck(send: [0], expect: .bytes([9]))),
        .dns(DNSCheck(name: "example.com", type: 28, expectRcodes: [0, 3])),
        .script(ScriptCheck(path: "/usr/local/bin/check", arguments: ["--fast"])),
    ]

    @Test(arguments: kinds) func roundTrips(kind: HealthCheckKind) throws {
        let check = HealthCheck(kind: kind, intervalSeconds: 5, timeoutSeconds: 2, rise: 3, fall: 4,
                                address: .v4(198, 51, 100, 99), port: 8080, proxyProtocol: .v2)
        let data = try JSONEncoder().encode(check)
        #expect(try JSONDecoder().decode(HealthCheck.self, from: data) == check)
    }

    @Test func readsAStateSavedWhenChecksWereHTTPOrTCPOnly() throws {
        let http = #"{"kind":{"http":{"path":"/healthz","expectStatus":204}},"intervalSeconds":2,"timeoutSeconds":0.5,"rise":2,"fall":3}"#
        let tcp = #"{"kind":{"tcp":{}},"intervalSeconds":2,"timeoutSeconds":1,"rise":2,"fall":3}"#
        let old = try JSONDecoder().decode(HealthCheck.self, from: Data(http.utf8))
        #expect(old == HealthCheck(kind: .http(path: "/healthz", expectStatus: 204), intervalSeconds: 2, timeoutSeconds: 0.5))
        #expect(try JSONDecoder().decode(HealthCheck.self, from: Data(tcp.utf8)) == HealthCheck(kind: .tcp))
    }

    @Test func statusAndTargetRoundTrip() throws {
        var status = HealthStatus(state: .down, since: Date(timeIntervalSince1970: 1_700_000_000))
        status.lastCheck = Date(timeIntervalSince1970: 1_700_000_010)
        status.lastPassed = false
        status.lastError = "connect refused"
        status.lastLatencySeconds = 0.002
        let target = HealthTarget(service: "web", pool: "app", address: .v4(198, 51, 100, 11), port: 8080)
        let data = try JSONEncoder().encode([target: status])
        #expect(try JSONDecoder().decode([HealthTarget: HealthStatus].self, from: data) == [target: status])
        #expect("\(target)" == "web/app 198.51.100.11:8080")
        #expect("\(HealthTarget(service: "dns", address: IPAddress("2001:db8::11")!, port: 0))" == "dns [2001:db8::11]:*")
    }
}
