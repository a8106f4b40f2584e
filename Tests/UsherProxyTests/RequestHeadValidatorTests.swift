import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

@Suite struct RequestHeadValidatorTests {
    let validator = RequestHeadValidator(limits: HTTPLimits(
        maxRequestLineBytes: 64, maxHeaderBytes: 200, maxHeaderCount: 5, maxBodyBytes: 1000))

    func check(_ headers: [(String, String)] = [], uri: String = "/", version: HTTPVersion = .http1_1,
               method: HTTPMethod = .POST) -> Result<BodyFraming, Rejection> {
        var h = HTTPHeaders(headers)
        if version == .http1_1, !headers.contains(where: { $0.0.lowercased() == "host" }) { h.add(name: "host", value: "x") }
        return validator.validate(HTTPRequestHead(version: version, method: method, uri: uri, headers: h))
    }

    func status(_ r: Result<BodyFraming, Rejection>) -> UInt? {
        if case .failure(let f) = r { return f.status.code } else { return nil }
    }

    @Test func framingOfGoodRequests() {
        #expect((try? check().get()) == BodyFraming.none)
        #expect((try? check([("Content-Length", "12")]).get()) == .length(12))
        #expect((try? check([("Content-Length", "0")]).get()) == BodyFraming.none)
        #expect((try? check([("Transfer-Encoding", "Chunked")]).get()) == .chunked)
        #expect((try? check([("Content-Length", "3")], version: .http1_0).get()) == .length(3))
    }

    @Test func sizeLimits() {
        #expect(status(check(uri: "/" + String(repeating: "a", count: 60))) == 414)
        #expect(status(check(uri: "/" + String(repeating: "a", count: 40))) == nil)
        #expect(status(check((1...5).map { ("x-\($0)", "v") })) == 431, "5 + Host = 6 fields")
        #expect(status(check([("x-big", String(repeating: "v", count: 200))])) == 431)
        #expect(status(check([("Content-Length", "1001")])) == 413)
    }

    @Test func ambiguousFramingIs400() {
        #expect(status(check([("Content-Length", "5"), ("Content-Length", "5")])) == 400)
        #expect(status(check([("Content-Length", "5, 6")])) == 400)
        #expect(status(check([("Content-Length", "+5")])) == 400)
        #expect(status(check([("Content-Length", "5"), ("Transfer-Encoding", "chunked")])) == 400)
        #expect(status(check([("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")])) == 400)
        #expect(status(check([("Transfer-Encoding", "chunked, identity")])) == 400)
        #expect(status(check([("Transfer-Encoding", "")])) == 400)
        #expect(status(check([("Transfer-Encoding", "chunked")], version: .http1_0)) == 400)
    }

    @Test func unknownCodingIs501() {
        #expect(status(check([("Transfer-Encoding", "gzip, chunked")])) == 501)
    }

    @Test func invalidCharactersAndHosts() {
        #expect(status(check([("x-a", "ok\u{1}")])) == 400)
        #expect(status(check([("x a", "v")])) == 400)
        #expect(status(check([("x-a", "tab\tand obs-text \u{e9}")])) == nil)
        #expect(status(check(uri: "/a b")) == 400)
        #expect(status(check([("Host", "a"), ("Host", "b")])) == 400)
        #expect(status(validator.validate(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"))) == 400)
        #expect(status(check(version: .http1_0)) == nil, "HTTP/1.0 needs no Host")
        #expect(status(check(method: .CONNECT)) == 405)
        #expect(status(check(version: HTTPVersion(major: 3, minor: 0))) == 505)
    }
}

@Suite struct ForwardingHeadersTests {
    @Test func hopByHopAndConnectionNamedFieldsGo() {
        var h = HTTPHeaders([("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
                             ("TE", "trailers"), ("Upgrade", "h2c"), ("Proxy-Connection", "x"), ("X-Keep", "1")])
        ForwardingHeaders.removeHopByHop(&h)
        #expect(h.map(\.name) == ["X-Keep"])
    }

    @Test func forwardedFieldsAppend() throws {
        var h = HTTPHeaders([("X-Forwarded-For", "198.51.100.1"), ("Forwarded", "for=198.51.100.1")])
        ForwardingHeaders.addForwarded(to: &h, client: try .init(ipAddress: "192.0.2.7", port: 1), scheme: "https", host: "a.example:8443")
        #expect(h["x-forwarded-for"] == ["198.51.100.1, 192.0.2.7"])
        #expect(h["x-forwarded-proto"] == ["https"])
        #expect(h["forwarded"] == ["for=198.51.100.1, for=192.0.2.7;host=\"a.example:8443\";proto=https"])
        var six = HTTPHeaders()
        ForwardingHeaders.addForwarded(to: &six, client: try .init(ipAddress: "2001:db8::7", port: 1), scheme: "http", host: "b.example")
        #expect(six["forwarded"] == ["for=\"[2001:db8::7]\";host=b.example;proto=http"])
    }

    @Test func rewritesRemoveThenSet() {
        var h = HTTPHeaders([("Server", "x"), ("X-A", "1"), ("X-A", "2")])
        ForwardingHeaders.apply(HeaderRewrite(fieldsToSet: [HeaderField(name: "x-a", value: "3")], namesToRemove: ["server"]), to: &h)
        #expect(h.map { "\($0.name)=\($0.value)" } == ["x-a=3"])
    }
}
