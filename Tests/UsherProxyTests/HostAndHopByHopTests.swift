import NIOHTTP1
import Testing
@testable import UsherProxy

/// The per-request header work done on bytes rather than Characters: same answers as before.
@Suite struct HostAndHopByHopTests {
    @Test func authoritySplitsIntoLowercaseHostAndPort() {
        let cases: [(String, String, String?)] = [
            ("Example.COM:8080", "example.com", "8080"),
            ("example.com", "example.com", nil),
            ("example.com.", "example.com", nil),
            ("user:pw@WWW.Example.com.:443", "www.example.com", "443"),
            ("[2001:DB8::1]:80", "[2001:db8::1]", "80"),
            ("[2001:db8::1]", "[2001:db8::1]", nil),
            ("example.com:", "example.com", nil),
            ("ÉCOLE.example", "école.example", nil),
            ("", "", nil),
        ]
        for (authority, host, port) in cases {
            let split = RequestTarget.split(authority: Substring(authority))
            #expect(split.host == Substring(host), "\(authority)")
            #expect(split.port == port.map { Substring($0) }, "\(authority)")
        }
    }

    @Test func hopByHopFieldsGoWhateverTheirCaseOthersStay() {
        var plain: HTTPHeaders = ["Host": "a", "Accept": "*/*", "Content-Length": "3"]
        let before = plain
        ForwardingHeaders.removeHopByHop(&plain)
        #expect(plain == before)

        var headers: HTTPHeaders = ["Host": "a", "Connection": "close, X-Secret", "x-secret": "1", "Keep-Alive": "5",
                                    "TE": "trailers", "Transfer-Encoding": "chunked", "UPGRADE": "h2c",
                                    "Proxy-Connection": "x", "X-Kept": "2"]
        ForwardingHeaders.removeHopByHop(&headers)
        #expect(headers.map(\.name) == ["Host", "X-Kept"])

        var named: HTTPHeaders = ["Host": "a", "Connection": "X-Only"]
        ForwardingHeaders.removeHopByHop(&named)
        #expect(named.map(\.name) == ["Host"])
    }

    /// `Connection: Host` (a hostile client's way to strip the field the proxy routed on) and
    /// `Connection: Content-Length` (a body without its framing) name fields that must survive.
    @Test func connectionCannotRemoveHostOrContentLength() {
        var headers: HTTPHeaders = ["Host": "a", "Connection": "HOST, content-Length, X-Gone", "Content-Length": "5", "X-Gone": "1"]
        ForwardingHeaders.removeHopByHop(&headers)
        #expect(headers.map(\.name) == ["Host", "Content-Length"])
        #expect(headers["host"] == ["a"] && headers["content-length"] == ["5"])
    }

    /// `Connection` lists as RFC 9110 §5.6.1 writes them: spaces and tabs around elements,
    /// empty elements, several Connection fields; the elements are removed, nothing else.
    @Test func connectionListsInEveryShape() {
        var headers: HTTPHeaders = ["Host": "a", "Connection": " ,X-A ,\tx-b\t,, keep-alive", "connection": "X-C",
                                    "X-A": "1", "x-B": "2", "X-C": "3", "X-D": "4", "Keep-Alive": "timeout=5"]
        ForwardingHeaders.removeHopByHop(&headers)
        #expect(headers.map(\.name) == ["Host", "X-D"])

        var elements: [Substring] = []
        ForwardingHeaders.forEachListElement(of: " a, ,b\t,c ,") { elements.append($0) }
        #expect(elements == ["a", "b", "c"])
        elements = []
        ForwardingHeaders.forEachListElement(of: "") { elements.append($0) }
        #expect(elements.isEmpty)
    }

    /// The forward head keeps every field and its order when nothing hop-by-hop is in it.
    @Test func removeIfPresentLeavesOtherFieldsAndOrder() {
        var headers: HTTPHeaders = ["Host": "a", "Expect": "100-continue", "Accept": "*/*"]
        ForwardingHeaders.removeIfPresent("expect", from: &headers)
        #expect(headers.map(\.name) == ["Host", "Accept"])
        ForwardingHeaders.removeIfPresent("expect", from: &headers)
        #expect(headers.map(\.name) == ["Host", "Accept"])
    }

    @Test func asciiCaseComparison() {
        #expect(ForwardingHeaders.equalsIgnoringASCIICase("Transfer-Encoding", "transfer-encoding"))
        #expect(ForwardingHeaders.equalsIgnoringASCIICase("te", "te"))
        #expect(!ForwardingHeaders.equalsIgnoringASCIICase("tE2", "te"))
        #expect(!ForwardingHeaders.equalsIgnoringASCIICase("tf", "te"))
        #expect(!ForwardingHeaders.equalsIgnoringASCIICase("T\u{00C9}", "t\u{00E9}"), "ASCII only")
    }
}
