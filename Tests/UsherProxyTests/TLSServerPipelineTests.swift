import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherProxy

/// TLS termination over real sockets on 127.0.0.1: SNI, versions, ciphers, reload, slow handshakes.
@Suite struct TLSServerPipelineTests {
    static func clientConfiguration(
        _ pki: CertificatesFixture, verifyHostname: Bool = true, minimum: TLSVersion = .tlsv12,
        maximum: TLSVersion? = nil, ciphers: [NIOTLSCipher]? = nil, alpn: [String] = []
    ) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(pki.caPath)
        configuration.certificateVerification = verifyHostname ? .fullVerification : .noHostnameVerification
        configuration.minimumTLSVersion = minimum
        configuration.maximumTLSVersion = maximum
        if let ciphers { configuration.cipherSuiteValues = ciphers }
        configuration.applicationProtocols = alpn
        return configuration
    }

    @Test func sniChoosesTheCertificateAndUnknownOrAbsentNamesGetTheDefault() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let store = try CertificateStore(TLSSettings(certificates: [
            try pki.issue("main", dnsNames: ["main.example"]),
            try pki.issue("shop", dnsNames: ["shop.example", "store.example"], keyType: .rsa),
            try pki.issue("apps", dnsNames: ["*.apps.example"]),
        ]), logger: Logger(label: "test"))
        let server = try await CertificatesTLSServer(store: store, alpn: [.http1_1])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }

        let expected: [(sni: String?, names: [String])] = [
            ("main.example", ["main.example"]),
            ("store.example", ["shop.example", "store.example"]),
            ("SHOP.example", ["shop.example", "store.example"]),
            ("billing.apps.example", ["*.apps.example"]),
            ("x.billing.apps.example", ["main.example"]),
            ("unknown.example", ["main.example"]),
            (nil, ["main.example"]),
        ]
        for (sni, names) in expected {
            // Hostname verification against the SNI proves the whole chain is right for that name.
            let verify = sni != nil && names.first != "main.example"
            let client = try await CertificatesTLSClient.connect(
                port: server.port, group: group, configuration: Self.clientConfiguration(pki, verifyHostname: verify),
                serverName: sni)
            #expect(client.peerDNSNames == names, "SNI \(sni ?? "none")")
            let response = try await client.get("/")
            #expect(response.status == 200)
            await client.close()
        }
        await server.stop()
    }

    @Test func tls12AndTls13SucceedWithEveryAllowedCipher() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let store = try CertificateStore(TLSSettings(certificates: [
            try pki.issue("ec", dnsNames: ["ec.example"]),
            try pki.issue("rsa", dnsNames: ["rsa.example"], keyType: .rsa),
        ]), logger: Logger(label: "test"))
        let server = try await CertificatesTLSServer(store: store, alpn: [.http1_1])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }

        let tls13 = try await CertificatesTLSClient.connect(
            port: server.port, group: group, configuration: Self.clientConfiguration(pki, minimum: .tlsv13),
            serverName: "ec.example")
        #expect(tls13.tlsVersion == .tlsv13)
        await tls13.close()

        let suites: [(NIOTLSCipher, String)] = [
            (.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ec.example"),
            (.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ec.example"),
            (.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ec.example"),
            (.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "rsa.example"),
            (.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "rsa.example"),
            (.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "rsa.example"),
        ]
        for (cipher, name) in suites {
            let client = try await CertificatesTLSClient.connect(
                port: server.port, group: group,
                configuration: Self.clientConfiguration(pki, maximum: .tlsv12, ciphers: [cipher]), serverName: name)
            #expect(client.tlsVersion == .tlsv12, "\(cipher)")
            #expect(try await client.get("/").status == 200)
            await client.close()
        }
        await server.stop()
    }

    @Test func oldVersionsAndWeakCiphersAreRefused() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let store = try CertificateStore(TLSSettings(certificates: [
            try pki.issue("ec", dnsNames: ["ec.example"]),
            try pki.issue("rsa", dnsNames: ["rsa.example"], keyType: .rsa),
        ]), logger: Logger(label: "test"))
        let server = try await CertificatesTLSServer(store: store, alpn: [.http1_1])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }

        for version in [TLSVersion.tlsv1, .tlsv11] {
            let error = await #expect(throws: (any Error).self, "\(version)") {
                try await CertificatesTLSClient.connect(
                    port: server.port, group: group,
                    configuration: Self.clientConfiguration(pki, minimum: version, maximum: version), serverName: "ec.example")
            }
            // The server answered with a protocol_version alert: the refusal is its own.
            #expect(String(describing: error).contains("PROTOCOL_VERSION"), "\(String(describing: error))")
        }
        let weak: [(NIOTLSCipher, String)] = [
            (.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "rsa.example"),
            (.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ec.example"),
            (.TLS_RSA_WITH_AES_128_GCM_SHA256, "rsa.example"),
            (.TLS_RSA_WITH_AES_256_CBC_SHA, "rsa.example"),
        ]
        for (cipher, name) in weak {
            let error = await #expect(throws: (any Error).self, "\(cipher)") {
                try await CertificatesTLSClient.connect(
                    port: server.port, group: group,
                    configuration: Self.clientConfiguration(pki, maximum: .tlsv12, ciphers: [cipher]), serverName: name)
            }
            #expect(String(describing: error).contains("HANDSHAKE_FAILURE"), "\(String(describing: error))")
        }
        await server.stop()
    }

    @Test func reloadServesNewHandshakesAndKeepsOpenConnections() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let live = try pki.issue("live", dnsNames: ["a.example"])
        let replacement = try pki.issue("replacement", dnsNames: ["b.example"])
        let store = try CertificateStore(TLSSettings(certificates: [live]), logger: Logger(label: "test"))
        let server = try await CertificatesTLSServer(store: store, alpn: [.http1_1])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }
        let configuration = Self.clientConfiguration(pki, verifyHostname: false)

        let before = try await CertificatesTLSClient.connect(port: server.port, group: group, configuration: configuration, serverName: nil)
        #expect(before.peerDNSNames == ["a.example"])
        #expect(try await before.get("/one").status == 200)

        try pki.copy(replacement, over: live)
        try store.reload()
        #expect(try await before.get("/two").body.hasPrefix("path=/two"))
        let after = try await CertificatesTLSClient.connect(port: server.port, group: group, configuration: configuration, serverName: nil)
        #expect(after.peerDNSNames == ["b.example"])

        _ = try pki.write("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n", to: "live.pem")
        #expect(throws: TLSConfigurationError.self) { try store.reload() }
        let stillB = try await CertificatesTLSClient.connect(port: server.port, group: group, configuration: configuration, serverName: nil)
        #expect(stillB.peerDNSNames == ["b.example"])
        #expect(try await before.get("/three").status == 200)
        #expect(try await after.get("/four").status == 200)

        for client in [before, after, stillB] { await client.close() }
        await server.stop()
    }

    @Test func aClientThatNeverFinishesTheHandshakeIsClosed() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let store = try CertificateStore(TLSSettings(certificates: [try pki.issue("a", dnsNames: ["a.example"])]),
                                         logger: Logger(label: "test"))
        let server = try await CertificatesTLSServer(store: store, alpn: [.http1_1], limits: HTTPLimits(headerTimeoutSeconds: 0.3))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }

        let started = ContinuousClock.now
        let silent = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: server.port).get()
        let closed = silent.eventLoop.makePromise(of: Bool.self)
        silent.closeFuture.whenComplete { _ in closed.succeed(true) }
        let giveUp = silent.eventLoop.scheduleTask(in: .seconds(5)) { closed.succeed(false) }
        #expect(try await closed.futureResult.get(), "the server kept a silent TLS client for 5 s")
        giveUp.cancel()
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(3), "\(elapsed)")
        try? await silent.close()
        await server.stop()
    }
}
