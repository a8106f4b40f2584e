import Foundation
import Testing
@testable import UsherCore

/// Certificate, key and CA files made once per test run with the openssl CLI (real ones:
/// the loader only looks for their PEM blocks, but the same files would load in the proxy),
/// plus broken variants. Removed when the test process exits.
enum L7Files {
    static let made: Result<String, any Error> = Result { try make() }

    /// The directory of the files; fails the calling test if they could not be made.
    static func directory() throws -> String { try made.get() }

    static func path(_ name: String) throws -> String { try directory() + "/" + name }

    private static func make() throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("usher-l7-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        atexit { try? FileManager.default.removeItem(atPath: (try? L7Files.made.get()) ?? "/nonexistent") }
        for (name, cn) in [("site", "shop.example"), ("other", "www.shop.example"), ("ca", "Usher Test CA")] {
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                         "-subj", "/CN=\(cn)", "-addext", "subjectAltName=DNS:\(cn.contains(" ") ? "ca.invalid" : cn)",
                         "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).pem"])
        }
        try openssl(["pkey", "-in", "\(dir)/site.key", "-aes256", "-passout", "pass:secret", "-out", "\(dir)/encrypted.key"])
        try openssl(["x509", "-in", "\(dir)/site.pem", "-outform", "der", "-out", "\(dir)/site.der"])
        try openssl(["ec", "-in", "\(dir)/site.key", "-out", "\(dir)/traditional.key"]) // -----BEGIN EC PRIVATE KEY-----
        try Data().write(to: URL(fileURLWithPath: "\(dir)/empty.pem"))
        let combined = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/site.pem")) + Data(contentsOf: URL(fileURLWithPath: "\(dir)/site.key"))
        try combined.write(to: URL(fileURLWithPath: "\(dir)/combined.pem"))
        try FileManager.default.createDirectory(atPath: "\(dir)/logs", withIntermediateDirectories: false)
        return dir
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
        }
    }
}

/// A valid config with two L7 services and every L7 field; `@DIR@` stands for `L7Files`'s directory.
let l7Template = """
services:
  - name: shop
    vip: 203.0.113.20
    port: 443
    protocol: tcp
    mode: https
    tls:
      certificates:
        - cert: @DIR@/site.pem
          key: @DIR@/site.key
        - cert: @DIR@/other.pem
          key: @DIR@/other.key
      alpn: [h2, http/1.1]
    limits:
      max-request-line: 4096
      max-header-bytes: 32KiB
      max-headers: 50
      max-body: 10MiB
      header-timeout: 5s
      idle-timeout: 1m
      max-connections: 20000
    forwarded-headers: true
    request-headers: { set: { X-Env: prod }, remove: [X-Debug] }
    response-headers: { set: { Strict-Transport-Security: "max-age=63072000" }, remove: [Server] }
    access-log: @DIR@/logs/shop.log
    pools:
      - name: app
        scheduler: least-connections
        affinity: cookie USHERID
        tls: { ca: @DIR@/ca.pem, server-name: app.internal }
        proxy-protocol: v2
        health-check: { type: http, path: /healthz, expect-status: 204, interval: 2s, timeout: 500ms, rise: 2, fall: 3 }
        connect-timeout: 2s
        response-timeout: 30s
        reals:
          - address: 198.51.100.11
            port: 8080
            weight: 1
          - address: 198.51.100.12
            port: 8080
            weight: 3
      - name: api
        affinity: header X-User
        tls: { verify: false }
        proxy-protocol: v1
        health-check: { type: tcp }
        reals:
          - address: 2001:db8:5::21
            port: 9000
          - address: 127.0.0.1
            port: 9001
            weight: 0
      - name: legacy
        scheduler: weighted-round-robin
        affinity: app-cookie JSESSIONID
        reals: []
    rules:
      - host: "*.shop.example"
        path-prefix: /api
        header: { name: X-Canary, value: "1" }
        pool: api
      - path: /login
        pool: app
      - path-regex: "^/v[0-9]+/"
        header: X-Legacy
        pool: legacy
      - path-prefix: /old
        redirect: { scheme: https, host: shop.example, status: 308 }
      - host: www.shop.example
        redirect: { host: shop.example, port: 8443 }
    default-pool: app
  - name: plain
    vip: 203.0.113.20
    port: 80
    protocol: tcp
    mode: http
    forwarded-headers: false
    access-log: none
    pools: []
    rules:
      - redirect: { scheme: https }
  - name: dns
    vip: 203.0.113.53
    port: 53
    protocol: udp
    mode: dsr-l2
    reals:
      - address: 198.51.100.31
"""

/// The valid L7 file, with its files' directory filled in.
func l7File() throws -> String {
    l7Template.replacingOccurrences(of: "@DIR@", with: try L7Files.directory())
}

/// The valid L7 file with the one line containing `old` changed to contain `new` instead
/// (the test fails if `old` is not on exactly one line). `@DIR@` works in `new` too.
func l7File(replacing old: String, with new: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let lines = l7Template.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let hits = lines.indices.filter { lines[$0].contains(old) }
    try #require(hits.count == 1, "\"\(old)\" is on \(hits.count) lines of the template", sourceLocation: sourceLocation)
    var changed = lines
    changed[hits[0]] = lines[hits[0]].replacingOccurrences(of: old, with: new)
    return changed.joined(separator: "\n").replacingOccurrences(of: "@DIR@", with: try L7Files.directory())
}

/// The 1-based line of the template holding `fragment` (the first one).
func l7Line(_ fragment: String) -> Int {
    let lines = l7Template.split(separator: "\n", omittingEmptySubsequences: false)
    return (lines.firstIndex { $0.contains(fragment) } ?? -1) + 1
}

/// A minimal valid http service's L7 fields for `serviceFile(extra:)` (an https one gets tls too).
func l7Extra(mode: String) throws -> [String] {
    var extra = ["pools: [{name: app, reals: [{address: 198.51.100.11, port: 8080}]}]", "default-pool: app"]
    if mode == "https" {
        let dir = try L7Files.directory()
        extra += ["tls: {certificates: [{cert: \(dir)/site.pem, key: \(dir)/site.key}]}"]
    }
    return extra
}

/// Expects the valid L7 file with `old` changed to `new` to fail with exactly one error, on
/// the changed line unless `line` says otherwise.
func expectL7Error(
    _ old: String, _ new: String, line: Int? = nil, field: String, message: String, hint: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let yaml = try l7File(replacing: old, with: new, sourceLocation: sourceLocation)
    expectOneError(yaml, line: line ?? l7Line(old), field: field, message: message, hint: hint, sourceLocation: sourceLocation)
}

/// Expects the valid L7 file with `old` changed to `new` to parse.
@discardableResult
func expectL7Valid(_ old: String, _ new: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> BalancerConfig {
    let yaml = try l7File(replacing: old, with: new, sourceLocation: sourceLocation)
    do {
        return try ConfigLoader.parse(yaml: yaml, file: "usher.yaml")
    } catch {
        Issue.record("expected a config, got:\n\(error)", sourceLocation: sourceLocation)
        return BalancerConfig()
    }
}
