import Foundation
import NIOCore
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherProxy

/// curl, an independent client, against the proxy: HTTP/1.1 in clear, HTTPS with HTTP/1.1 and
/// HTTP/2 (ALPN), and re-encryption to a TLS real server.
@Suite(.timeLimit(.minutes(2)), .enabled(if: Curl.isAvailable)) struct ProxyCurlTests {
    @Test func plainHTTPWithAChunkedUpload() async throws {
        let upload = FileManager.default.temporaryDirectory.appendingPathComponent("usher-upload-\(UUID().uuidString.prefix(8))").path
        try String(repeating: "0123456789", count: 100_000).write(toFile: upload, atomically: true, encoding: .utf8)
        defer { unlink(upload) }
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let url = "http://127.0.0.1:\(h.address.port!)/curl?x=1"
            let get = try Curl.run(["-H", "X-Forwarded-For: 198.51.100.2", "-w", "\\n%{http_code} %{http_version}", url])
            #expect(get.hasSuffix("\n200 1.1"))
            #expect(get.contains("server=a\n") && get.contains("uri=/curl?x=1\n"))
            #expect(get.contains("h:x-forwarded-for=198.51.100.2, 127.0.0.1\n"))
            let post = try Curl.run(["-H", "Transfer-Encoding: chunked", "--data-binary", "@\(upload)", url])
            #expect(post.contains("body-bytes=1000000\n") && post.contains("h:transfer-encoding=chunked\n"))
        }
    }

    @Test func httpsOverHTTP1AndHTTP2() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let cert = try pki.issue("www", dnsNames: ["www.example"])
        try await withProxy(reals: ["a", "b"]) { r in
            var s = TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!])])
            s.mode = .https
            s.l7?.tls = TLSSettings(certificates: [cert], alpn: [.h2, .http1_1])
            return [s]
        } _: { h in
            let port = h.address.port!
            let base = ["--cacert", pki.caPath, "--resolve", "www.example:\(port):127.0.0.1"]
            let url = "https://www.example:\(port)/secure"
            let h1 = try Curl.run(base + ["--http1.1", "-w", "\\n%{http_code} %{http_version}", url])
            #expect(h1.hasSuffix("\n200 1.1"))
            #expect(h1.contains("h:x-forwarded-proto=https\n") && h1.contains("h:forwarded=for=127.0.0.1;host=\"www.example:\(port)\";proto=https\n"))
            let h2 = try Curl.run(base + ["--http2", "-w", "\\n%{http_code} %{http_version}", url])
            #expect(h2.hasSuffix("\n200 2"))
            #expect(h2.contains("uri=/secure\n") && h2.contains("h:host=www.example:\(port)\n"))
            let upload = try Curl.run(base + ["--http2", "--data-binary", String(repeating: "x", count: 5000), url])
            #expect(upload.contains("method=POST\n") && upload.contains("body-bytes=5000\n"))
            // Several requests multiplexed on one HTTP/2 connection, spread over the pool.
            let many = try Curl.run(base + ["--http2", "-w", "%{http_version}\\n"] + (0..<6).map { "\(url)?n=\($0)" })
            #expect(many.components(separatedBy: "server=a\n").count - 1 == 3)
            #expect(many.components(separatedBy: "server=b\n").count - 1 == 3)
        }
    }

    @Test func reEncryptsToATLSRealServerVerifyingItsName() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let realCert = try pki.issue("real", dnsNames: ["real.example"])
        let realTLS = try await CertificatesTLSServer(
            store: CertificateStore(TLSSettings(certificates: [realCert], alpn: [.http1_1]), logger: testLogger),
            alpn: [.http1_1])
        var failure: Error?
        do {
            try await withProxy(reals: []) { _ in
                let member = PoolMember(address: .v4(127, 0, 0, 1), port: UInt16(realTLS.port))
                let good = Pool(name: "good", upstreamTLS: UpstreamTLS(caPath: pki.caPath, serverName: "real.example"), members: [member])
                let wrongName = Pool(name: "wrong", upstreamTLS: UpstreamTLS(caPath: pki.caPath, serverName: "other.example"),
                                     members: [member])
                return [TestServices.http(pools: [good, wrongName], rules: [
                    ContentRule(match: RuleMatch(path: .prefix("/wrong")), action: .pool("wrong")),
                ], defaultPool: "good")]
            } _: { h in
                let base = "http://127.0.0.1:\(h.address.port!)"
                let ok = try Curl.run(["-w", "\\n%{http_code}", base + "/over-tls"])
                #expect(ok == "path=/over-tls version=HTTP/1.1 h2stream=false\n\n200")
                let refused = try Curl.run(["-w", "\\n%{http_code}", base + "/wrong"])
                #expect(refused.hasSuffix("\n502"), "a real server whose certificate does not name it is refused")
            }
        } catch { failure = error }
        await realTLS.stop()
        if let failure { throw failure }
    }
}
