import Foundation
import Logging
import Synchronization
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherProxy

/// Loading and reloading certificates: names, defaults, and errors that name the file.
@Suite struct TLSCertificateStoreTests {
    @Test func namesComeFromEachLeafsDNSSubjectAltNamesInOrder() throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let first = try pki.issue("first", dnsNames: ["www.example.com", "example.com"])
        let wild = try pki.issue("wild", dnsNames: ["*.apps.example.com"], ipAddresses: ["192.0.2.1"], keyType: .rsa)
        let store = try CertificateStore(TLSSettings(certificates: [first, wild]), logger: Logger(label: "test"))
        #expect(store.certificateNames() == [["www.example.com", "example.com"], ["*.apps.example.com"]])
    }

    @Test func noCertificatesIsAnError() {
        #expect(throws: TLSConfigurationError.noCertificates) {
            try CertificateStore(TLSSettings(certificates: []), logger: Logger(label: "test"))
        }
    }

    @Test func missingFilesAreNamed() throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let good = try pki.issue("good", dnsNames: ["a.example"])
        let noCert = CertificateFiles(certificatePath: pki.directory + "/absent.pem", keyPath: good.keyPath)
        let error = try #require(throws: TLSConfigurationError.self) {
            try CertificateStore(TLSSettings(certificates: [good, noCert]), logger: Logger(label: "test"))
        }
        #expect(error == .unreadableFile(path: noCert.certificatePath, role: "certificate chain", reason: "no such file"))
        #expect(error.description.contains(noCert.certificatePath))

        let noKey = CertificateFiles(certificatePath: good.certificatePath, keyPath: pki.directory + "/absent.key")
        #expect(throws: TLSConfigurationError.unreadableFile(path: noKey.keyPath, role: "private key", reason: "no such file")) {
            try CertificateStore(TLSSettings(certificates: [noKey]), logger: Logger(label: "test"))
        }
    }

    @Test func garbageFilesAreRefusedWithTheirPath() throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let good = try pki.issue("good", dnsNames: ["a.example"])
        let garbage = try pki.write("not a certificate\n", to: "garbage.pem")
        #expect(throws: TLSConfigurationError.noCertificateInFile(path: garbage)) {
            try CertificateStore(
                TLSSettings(certificates: [CertificateFiles(certificatePath: garbage, keyPath: good.keyPath)]),
                logger: Logger(label: "test"))
        }
        // A certificate given as the key.
        #expect(throws: TLSConfigurationError.invalidPrivateKey(path: good.certificatePath)) {
            try CertificateStore(
                TLSSettings(certificates: [CertificateFiles(certificatePath: good.certificatePath, keyPath: good.certificatePath)]),
                logger: Logger(label: "test"))
        }
    }

    @Test func aKeyThatDoesNotMatchItsCertificateIsRefused() throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let a = try pki.issue("a", dnsNames: ["a.example"])
        let b = try pki.issue("b", dnsNames: ["b.example"])
        let mixed = CertificateFiles(certificatePath: a.certificatePath, keyPath: b.keyPath)
        let error = try #require(throws: TLSConfigurationError.self) {
            try CertificateStore(TLSSettings(certificates: [a, mixed]), logger: Logger(label: "test"))
        }
        #expect(error == .keyDoesNotMatchCertificate(keyPath: b.keyPath, certificatePath: a.certificatePath))
        #expect(error.description.contains("does not belong"))
    }

    @Test func anExpiredCertificateIsServedWithAWarning() throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let fresh = try pki.issue("fresh", dnsNames: ["fresh.example"])
        let old = try pki.issue("old", dnsNames: ["old.example"], expired: true)
        let log = RecordedLog()
        let store = try CertificateStore(TLSSettings(certificates: [fresh, old]), logger: log.logger)
        #expect(store.certificateNames() == [["fresh.example"], ["old.example"]])
        let warnings = log.entries.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains("expired") == true)
        #expect(warnings.first?.metadata["certificate"] == old.certificatePath)
    }

    @Test func reloadSwapsTheWholeSetOrNothing() throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let live = try pki.issue("live", dnsNames: ["a.example"])
        let replacement = try pki.issue("replacement", dnsNames: ["b.example"])
        let store = try CertificateStore(TLSSettings(certificates: [live]), logger: Logger(label: "test"))
        try pki.copy(replacement, over: live)
        try store.reload()
        #expect(store.certificateNames() == [["b.example"]])

        _ = try pki.write("-----BEGIN CERTIFICATE-----\ntruncated\n", to: "live.pem")
        #expect(throws: TLSConfigurationError.noCertificateInFile(path: live.certificatePath)) { try store.reload() }
        #expect(store.certificateNames() == [["b.example"]])
    }
}

/// A log handler that keeps what it is given, for assertions on warnings.
final class RecordedLog: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "recorded") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append(Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
