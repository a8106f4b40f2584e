import Foundation
import Testing
@testable import UsherCore

/// Reading and checking `sync:`: what a valid section becomes, and each wrong value located at
/// its line and field with what to do.
@Suite struct SyncConfigTests {
    /// `sync:` on line 1, its fields from line 2 in the order given, then one service.
    static func file(_ fields: [String]) -> String {
        (["sync:"] + fields.map { "  \($0)" }).joined(separator: "\n") + "\n" + serviceFile()
    }

    /// A key file with `content` and `mode`, owned by root (the tests run as root).
    static func keyFile(_ content: String, mode: mode_t = 0o600) throws -> String {
        let path = NSTemporaryDirectory() + "usher-sync-key-\(UUID().uuidString)"
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return path
    }

    @Test func aSectionWithDefaults() throws {
        let config = try ConfigLoader.parse(yaml: Self.file(["address: 192.0.2.11", "peers: [192.0.2.12]"]), file: "f")
        #expect(config.sync == SyncSettings(address: IPAddress("192.0.2.11")!, port: 7947, peers: [IPAddress("192.0.2.12")!],
                                            keyFile: nil, intervalMilliseconds: 250))
    }

    @Test func everyField() throws {
        let key = try Self.keyFile("0123456789abcdef0123456789abcdef\n")
        defer { unlink(key) }
        let config = try ConfigLoader.parse(yaml: Self.file([
            "address: 2001:db8::11", "port: 7000", "peers:", "  - 2001:db8::12", "  - 2001:db8::13",
            "key-file: \(key)", "interval: 100ms",
        ]), file: "f")
        let sync = try #require(config.sync)
        #expect(sync.port == 7000)
        #expect(sync.peers.map(\.description) == ["2001:db8::12", "2001:db8::13"])
        #expect(sync.keyFile == key)
        #expect(sync.intervalMilliseconds == 100)
        #expect(ConfigValidator.syncKey(at: key) == Array("0123456789abcdef0123456789abcdef".utf8))
    }

    @Test func noSectionNoSync() throws {
        #expect(try ConfigLoader.parse(yaml: serviceFile(), file: "f").sync == nil)
    }

    @Test(arguments: [
        (["address: 192.0.2.11"], 1, "sync.peers", "missing field \"peers\""),
        (["address: 192.0.2.11", "peers: []"], 3, "sync.peers", "no peer given"),
        (["address: 192.0.2.11", "peers: [192.0.2.11]"], 3, "sync.peers[0]", "is this balancer's own sync address"),
        (["address: 192.0.2.11", "peers: [2001:db8::12]"], 3, "sync.peers[0]", "is an IPv6 address but 192.0.2.11 is IPv4"),
        (["peers: [192.0.2.12]"], 2, "sync.peers", "without `address:`, `peers:` lists every balancer"),
        (["peers: [192.0.2.11, 2001:db8::12]"], 2, "sync.peers[1]", "is an IPv6 address but 192.0.2.11 is IPv4"),
        (["address: 192.0.2.11", "peers: [192.0.2.12, 192.0.2.12]"], 3, "sync.peers[1]", "is listed twice"),
        (["address: 192.0.2.0/24", "peers: [192.0.2.12]"], 2, "sync.address", "is a prefix, not an address"),
        (["address: 192.0.2.11", "peers: [192.0.2.12]", "port: 70000"], 4, "sync.port", "port 70000 is out of range"),
        (["address: 192.0.2.11", "peers: [192.0.2.12]", "interval: 10ms"], 4, "sync.interval", "is out of range"),
        (["address: 192.0.2.11", "peers: [192.0.2.12]", "pears: [192.0.2.13]"], 4, "sync.pears", "unknown"),
        (["address: 192.0.2.11", "peers: [192.0.2.12]", "key-file: sync.key"], 4, "sync.key-file", "is a relative path"),
        (["address: 192.0.2.11", "peers: [192.0.2.12]", "key-file: /nonexistent/sync.key"], 4, "sync.key-file", "no key file at"),
    ])
    func wrongValuesAreLocated(fields: [String], line: Int, field: String, message: String) {
        expectOneError(Self.file(fields), line: line, field: field, message: message)
    }

    @Test func aKeyOthersCanReadIsRefusedWithoutShowingIt() throws {
        let key = try Self.keyFile("secret-secret-secret-secret", mode: 0o644)
        defer { unlink(key) }
        let errors = parseErrors(Self.file(["address: 192.0.2.11", "peers: [192.0.2.12]", "key-file: \(key)"]))
        #expect(errors.count == 1)
        #expect(errors.first?.line == 4)
        #expect(errors.first?.message.contains("has mode 644") == true)
        #expect(errors.first?.hint?.contains("openssl rand -hex 32") == true)
        #expect(!"\(errors)".contains("secret-secret"))
    }

    @Test func aShortKeyIsRefused() throws {
        let key = try Self.keyFile("short\n")
        defer { unlink(key) }
        expectOneError(Self.file(["address: 192.0.2.11", "peers: [192.0.2.12]", "key-file: \(key)"]), line: 4,
                       field: "sync.key-file", message: "holds 5 bytes of secret, fewer than 16")
    }

    @Test func aKeyFileMustBeAFile() {
        expectOneError(Self.file(["address: 192.0.2.11", "peers: [192.0.2.12]", "key-file: /tmp"]), line: 4,
                       field: "sync.key-file", message: "is not a regular file")
    }

    @Test func savedStatesWithoutSyncStillDecode() throws {
        let old = #"{"interfaces":[],"encapsulation":{},"services":[]}"#
        let config = try JSONDecoder().decode(BalancerConfig.self, from: Data(old.utf8))
        #expect(config.sync == nil)
        var withSync = config
        withSync.sync = SyncSettings(address: IPAddress("192.0.2.11")!, peers: [IPAddress("192.0.2.12")!])
        let again = try JSONDecoder().decode(BalancerConfig.self, from: JSONEncoder().encode(withSync))
        #expect(again == withSync)
    }

    /// One file for every balancer: without `address:`, each daemon finds its own among the peers.
    @Test func withoutAnAddressEachBalancerFindsItsOwn() throws {
        let config = try ConfigLoader.parse(yaml: Self.file(["peers: [192.0.2.11, 192.0.2.12, 192.0.2.13]"]), file: "f")
        let sync = try #require(config.sync)
        #expect(sync.address == nil)
        let mine = try #require(sync.resolved(local: [IPAddress("192.0.2.12")!, IPAddress("127.0.0.1")!]))
        #expect(mine.address == IPAddress("192.0.2.12"))
        #expect(mine.peers == [IPAddress("192.0.2.11")!, IPAddress("192.0.2.13")!])
        #expect(sync.resolved(local: [IPAddress("198.51.100.1")!]) == nil)
        #expect(sync.resolved(local: [IPAddress("192.0.2.11")!, IPAddress("192.0.2.12")!]) == nil)
    }
}
