import Foundation
import Testing
@testable import UsherCore

@Suite struct StateStoreTests {
    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("usher-state-\(UUID().uuidString)").path
    }

    static let config = BalancerConfig(
        interfaces: [InterfaceConfig(name: "veth-lb0", xdpMode: .generic)],
        encapsulation: Encapsulation(sourceV4: IPPrefix("198.51.100.64/26"), sourceV6: IPPrefix("2001:db8:2::/112")),
        services: [
            VirtualService(name: "web", vip: IPAddress("2001:db8:1::10")!, port: 0, proto: .udp, mode: .dsrIPIP,
                           maglevTableSize: 131_071, hashSourceOnly: true, reals: [
                               RealServer(address: IPAddress("2001:db8:5::11")!, weight: 0, mac: MACAddress("02:00:00:00:00:11")),
                               RealServer(address: IPAddress("2001:db8:5::12")!, weight: 1000),
                           ]),
        ]
    )

    @Test func nothingSavedLoadsNil() throws {
        let dir = Self.temporaryDirectory()
        #expect(try StateStore(directory: dir).load() == nil)
        #expect(!FileManager.default.fileExists(atPath: dir))
    }

    @Test func saveThenLoadRoundTripsAndCreatesAPrivateDirectory() throws {
        let dir = Self.temporaryDirectory() + "/nested/state"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = StateStore(directory: dir)
        try store.save(Self.config)
        #expect(try store.load() == Self.config)
        let mode = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        // Replaced, not appended to; no temporary file left behind.
        try store.save(BalancerConfig())
        #expect(try store.load() == BalancerConfig())
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["config.json"])
    }

    @Test func aCorruptFileIsReportedWithWhatToDo() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = StateStore(directory: dir)
        try store.save(Self.config)
        try "{\"version\": 1, \"config\": ".write(toFile: store.configPath, atomically: false, encoding: .utf8)
        #expect {
            try store.load()
        } throws: { error in
            let e = error as? StateStoreError
            return e?.path == store.configPath && e?.hint?.contains("usher apply") == true
        }
        try "{\"version\": 99, \"config\": {\"interfaces\": [], \"encapsulation\": {}, \"services\": []}}"
            .write(toFile: store.configPath, atomically: false, encoding: .utf8)
        #expect {
            try store.load()
        } throws: { error in
            (error as? StateStoreError)?.message.contains("format version 99") == true
        }
    }

    @Test func aStateDirectoryThatIsAFileIsRefused() throws {
        let path = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "x".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: StateStoreError(path: path, message: "is not a directory", hint: "give --state-dir a directory")) {
            try StateStore(directory: path).save(Self.config)
        }
    }

    @Test func theLockIsExclusiveAndReleased() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = StateStore(directory: dir)
        let other = StateStore(directory: dir, lockTimeout: .milliseconds(200))
        let result = try store.withLock { () throws -> Int in
            // Another command (another open of the lock file) cannot get it meanwhile.
            #expect {
                try other.withLock { 1 }
            } throws: { error in
                (error as? StateStoreError)?.message == "another usher command holds the lock"
            }
            try store.save(Self.config)
            return 42
        }
        #expect(result == 42)
        // Released afterwards, also when the body throws.
        #expect(try other.withLock { try other.load() } == Self.config)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try store.withLock { throw Boom() } }
        #expect(try other.withLock { 7 } == 7)
    }

    @Test func aWaitingCommandGetsTheLockWhenTheHolderFinishes() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = StateStore(directory: dir)
        let acquired = DispatchSemaphore(value: 0), finished = DispatchSemaphore(value: 0)
        let holder = Thread {
            _ = try? store.withLock {
                acquired.signal()
                usleep(300_000)
            }
            finished.signal()
        }
        holder.start()
        acquired.wait()
        let clock = ContinuousClock()
        let start = clock.now
        try StateStore(directory: dir, lockTimeout: .seconds(5)).withLock {}
        let waited = clock.now - start
        finished.wait()
        #expect(waited >= .milliseconds(200), "got the lock after \(waited), while it was held for 300 ms")
        #expect(waited < .seconds(5))
    }
}
