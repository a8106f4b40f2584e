import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherProxy

/// Re-encryption towards real servers: verification against the pool's CA, by name or address.
@Suite struct TLSUpstreamContextTests {
    /// A TLS real server on 127.0.0.1 presenting `files`, answering HTTP/1.1.
    final class RealServer: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: Channel
        var port: Int { channel.localAddress?.port ?? 0 }

        init(_ files: CertificateFiles) async throws {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: files.keyPath, format: .pem)))
            configuration.applicationProtocols = ["h2", "http/1.1"]
            let context = try NIOSSLContext(configuration: configuration)
            channel = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(NIOSSLServerHandler(context: context))
                        try sync.configureHTTPServerPipeline()
                        try sync.addHandler(TLSEchoResponder(h2stream: false))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        func stop() async {
            try? await channel.close()
            try? await group.shutdownGracefully()
        }
    }

    /// Connects through `UpstreamTLSContext` and sends one request; throws when TLS fails.
    static func fetch(_ settings: UpstreamTLS, port: Int, group: EventLoopGroup) async throws -> Int {
        let context = try UpstreamTLSContext.make(settings)
        let client = try await CertificatesTLSClient.connect(port: port, group: group) {
            try UpstreamTLSContext.makeHandler(context: context, settings: settings)
        }
        defer { Task { await client.close() } }
        #expect(client.negotiatedProtocol == "http/1.1")
        return try await client.get("/").status
    }

    @Test func verifiesAgainstThePoolsCAByNameOrByAddress() async throws {
        let pki = try CertificatesFixture()
        let other = try CertificatesFixture(caName: "Some Other CA")
        defer { pki.remove(); other.remove() }
        let real = try await RealServer(try pki.issue("real", dnsNames: ["real.example"], ipAddresses: ["127.0.0.1"]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }

        #expect(try await Self.fetch(UpstreamTLS(caPath: pki.caPath, serverName: "real.example"), port: real.port, group: group) == 200)
        // No server name: the certificate must carry the connected address.
        #expect(try await Self.fetch(UpstreamTLS(caPath: pki.caPath), port: real.port, group: group) == 200)
        // Not verifying is a choice the config states: anything is accepted.
        #expect(try await Self.fetch(UpstreamTLS(caPath: nil, serverName: "whatever.example"), port: real.port, group: group) == 200)

        await #expect(throws: (any Error).self, "wrong CA") {
            try await Self.fetch(UpstreamTLS(caPath: other.caPath, serverName: "real.example"), port: real.port, group: group)
        }
        await real.stop()
    }

    /// (A certificate carrying the connected IP address is accepted whatever name is asked for:
    /// swift-nio-ssl's identity check matches IP subjectAltNames against the peer address.)
    @Test func aCertificateMustNameTheServerNameOrElseTheAddress() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let real = try await RealServer(try pki.issue("named", dnsNames: ["real.example"]))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }
        #expect(try await Self.fetch(UpstreamTLS(caPath: pki.caPath, serverName: "real.example"), port: real.port, group: group) == 200)
        await #expect(throws: (any Error).self, "no name, and the certificate does not carry 127.0.0.1") {
            try await Self.fetch(UpstreamTLS(caPath: pki.caPath), port: real.port, group: group)
        }
        await #expect(throws: (any Error).self, "wrong name") {
            try await Self.fetch(UpstreamTLS(caPath: pki.caPath, serverName: "other.example"), port: real.port, group: group)
        }
        #expect(try await Self.fetch(UpstreamTLS(caPath: nil), port: real.port, group: group) == 200)
        await real.stop()
    }

    @Test func anUnusableCAFileIsNamed() throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let missing = pki.directory + "/missing-ca.pem"
        #expect(throws: TLSConfigurationError.unreadableFile(path: missing, role: "CA", reason: "no such file")) {
            try UpstreamTLSContext.make(UpstreamTLS(caPath: missing))
        }
        let garbage = try pki.write("hello\n", to: "garbage-ca.pem")
        #expect(throws: TLSConfigurationError.noCertificateInFile(path: garbage)) {
            try UpstreamTLSContext.make(UpstreamTLS(caPath: garbage))
        }
    }
}
