import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherProxy

/// ALPN and HTTP/2 towards clients, with curl as the client (real TLS, real HTTP/2 framing).
@Suite struct HTTP2ServerPipelineTests {
    struct Curl {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs curl against `https://NAME:PORT/...` resolved to 127.0.0.1, trusting the fixture's CA;
    /// `-w` appends the HTTP version, the number of connections opened and the exit code.
    static func curl(_ arguments: [String], pki: CertificatesFixture, name: String, port: Int, paths: [String]) throws -> Curl {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "10", "--cacert", pki.caPath, "--resolve", "\(name):\(port):127.0.0.1",
                             "-w", "version=%{http_version} connects=%{num_connects}\n"]
            + arguments + paths.map { "https://\(name):\(port)\($0)" }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Curl(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                    stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func server(_ pki: CertificatesFixture, alpn: [ALPNProtocol], limits: HTTPLimits = HTTPLimits()) async throws -> CertificatesTLSServer {
        let store = try CertificateStore(
            TLSSettings(certificates: [try pki.issue("site", dnsNames: ["site.example"])], alpn: alpn),
            logger: Logger(label: "test"))
        return try await CertificatesTLSServer(store: store, alpn: alpn, limits: limits)
    }

    @Test func curlHTTP2GetsHTTP2StreamsOnOneConnection() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let server = try await Self.server(pki, alpn: [.h2, .http1_1])
        let result = try Self.curl(["--http2"], pki: pki, name: "site.example", port: server.port, paths: ["/a", "/b", "/c"])
        await server.stop()
        #expect(result.status == 0, "\(result.stderr)")
        let expected = ["/a", "/b", "/c"].enumerated().map { index, path in
            "path=\(path) version=HTTP/2.0 h2stream=true\nversion=2 connects=\(index == 0 ? 1 : 0)\n"
        }.joined()
        #expect(result.stdout == expected)
    }

    @Test func curlHTTP11GetsHTTP11OnTheConnection() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let server = try await Self.server(pki, alpn: [.h2, .http1_1])
        let result = try Self.curl(["--http1.1"], pki: pki, name: "site.example", port: server.port, paths: ["/x", "/y"])
        await server.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            path=/x version=HTTP/1.1 h2stream=false
            version=1.1 connects=1
            path=/y version=HTTP/1.1 h2stream=false
            version=1.1 connects=0

            """)
    }

    @Test func withoutH2InTheALPNListHTTP2ClientsGetHTTP11() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let server = try await Self.server(pki, alpn: [.http1_1])
        let result = try Self.curl(["--http2"], pki: pki, name: "site.example", port: server.port, paths: ["/only-1.1"])
        await server.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "path=/only-1.1 version=HTTP/1.1 h2stream=false\nversion=1.1 connects=1\n")
    }

    @Test func anHTTP2ConnectionWithoutStreamsGetsGoAwayAndIsClosedWhenIdle() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let server = try await Self.server(pki, alpn: [.h2], limits: HTTPLimits(idleTimeoutSeconds: 1))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }
        // The idle clock starts when the handshake ends, so after this instant.
        let started = ContinuousClock.now
        let client = try await CertificatesTLSClient.connect(
            port: server.port, group: group, configuration: TLSServerPipelineTests.clientConfiguration(pki, alpn: ["h2"]),
            serverName: "site.example", raw: true)
        #expect(client.negotiatedProtocol == "h2")

        // Client preface and an empty SETTINGS frame, then silence: no stream is ever opened.
        try await client.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 0x04, 0, 0, 0, 0, 0])
        let received = try await client.receivedUntilClosed(limit: .seconds(6))
        let elapsed = ContinuousClock.now - started
        await client.close()
        await server.stop()

        let bytes = try #require(received, "the idle HTTP/2 connection was still open after 6 s")
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(4), "\(elapsed)")
        let frames = Self.frames(bytes)
        #expect(frames.first?.type == 0x04, "the server's SETTINGS comes first")
        let goAway = try #require(frames.first { $0.type == 0x07 }, "no GOAWAY in \(frames.map(\.type))")
        // Last stream ID 0 (none was opened), error code NO_ERROR.
        #expect(goAway.payload.prefix(8) == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    /// Splits HTTP/2 frames: 3-byte length, type, flags, 4-byte stream ID, payload.
    static func frames(_ bytes: [UInt8]) -> [(type: UInt8, payload: ArraySlice<UInt8>)] {
        var frames: [(type: UInt8, payload: ArraySlice<UInt8>)] = []
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            guard offset + 9 + length <= bytes.count else { break }
            frames.append((bytes[offset + 3], bytes[(offset + 9)..<(offset + 9 + length)]))
            offset += 9 + length
        }
        return frames
    }
}
