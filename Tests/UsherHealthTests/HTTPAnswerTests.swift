import Testing
import UsherCore
@testable import UsherHealth

/// The plain-HTTP check's judge, fed raw answers: at once when the status decides, the body
/// searched through chunked encoding, the same verdict however the bytes are split.
struct HTTPAnswerTests {
    /// Feeds `answer` in pieces of `piece` bytes, then the close; the first verdict.
    func judge(_ check: HTTPCheck, _ answer: String, piece: Int = .max, close: Bool = true) -> ProbeResult? {
        let judge = HTTPAnswer(check: check)
        let bytes = Array(answer.utf8)
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + piece)
            if let verdict = bytes[at..<end].withUnsafeBytes({ judge.received($0) }) { return verdict }
            at = end
        }
        return close ? judge.ended() : nil
    }

    @Test func theStatusDecidesAtOnceWithoutWaitingForTheClose() {
        let ok = HTTPCheck(path: "/", expectStatus: StatusCodes([200...299]))
        #expect(judge(ok, "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", close: false) == .passed)
        #expect(judge(ok, "HTTP/1.0 503 Busy\r\n\r\n", close: false) == .failed("status 503, expected 200-299"))
        // Half a head decides nothing; the close then fails it.
        #expect(judge(ok, "HTTP/1.1 200 OK\r\nContent-", close: false) == nil)
        #expect(judge(ok, "HTTP/1.1 200 OK\r\nContent-") == .failed("connection closed before a complete answer"))
        #expect(judge(ok, "") == .failed("connection closed before a complete answer"))
    }

    @Test func interimAnswersAreSkipped() {
        let check = HTTPCheck(path: "/", bodyContains: "up")
        #expect(judge(check, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nup", close: false) == .passed)
    }

    @Test func whatIsNotHTTPFailsWithTheLineQuoted() {
        let check = HTTPCheck(path: "/")
        #expect(judge(check, "SSH-2.0-OpenSSH_9.2\r\n\r\n") == .failed("not an HTTP/1.x answer: \"SSH-2.0-OpenSSH_9.2\""))
        #expect(judge(check, "HTTP/1.1 2000 OK\r\n\r\n") == .failed("not an HTTP/1.x answer: \"HTTP/1.1 2000 OK\""))
        #expect(judge(check, "\u{1}\u{2}garbage\r\n\r\n") == .failed("not an HTTP/1.x answer: \"\\u{01}\\u{02}garbage\""))
        let long = String(repeating: "X-Filler: 0123456789\r\n", count: 1000)
        #expect(judge(check, "HTTP/1.1 200 OK\r\n" + long, close: false) == .failed("an answer head longer than 16 KiB"))
    }

    @Test func theBodyIsSearchedWhateverItsFramingAndSplit() {
        let check = HTTPCheck(path: "/", bodyContains: "ready: yes")
        let answers = [
            "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nstate ready: yes",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nstate re\r\n8;x=y\r\nady: yes\r\n0\r\n\r\n",
            "HTTP/1.0 200 OK\r\n\r\nstate ready: yes", // until the close
        ]
        for answer in answers {
            for piece in [1, 3, 7, 1000] {
                #expect(judge(check, answer, piece: piece) == .passed, "\(answer) in pieces of \(piece)")
            }
        }
        // A complete body without it fails before the close; one read until the close fails at the close.
        #expect(judge(check, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nready: no", close: false) == .failed("body does not contain \"ready: yes\""))
        #expect(judge(check, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nno!\r\n0\r\n\r\n", close: false)
            == .failed("body does not contain \"ready: yes\""))
        #expect(judge(check, "HTTP/1.0 200 OK\r\n\r\nready: no", close: false) == nil)
        #expect(judge(check, "HTTP/1.0 200 OK\r\n\r\nready: no") == .failed("body does not contain \"ready: yes\""))
        // The chunk-size line is not body: "ready: yes" split by it is not found.
        #expect(judge(HTTPCheck(path: "/", bodyContains: "ab"), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n")
            == .passed)
        #expect(judge(HTTPCheck(path: "/", bodyContains: "1\r\n"), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n")
            == .failed("body does not contain \"1\r\n\""))
    }

    @Test func hostileAnswersDecideWithoutTrapping() {
        let check = HTTPCheck(path: "/", bodyContains: "ok")
        let hostile = [
            "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nok\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nok\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nok",
            "HTTP/1.1 200 OK\r\n: \r\n:::\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\n" + String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 500),
            "HTTP/1.1",
            "\r\n\r\n",
        ]
        for answer in hostile {
            for piece in [1, 5, 1000] { _ = judge(check, answer, piece: piece) }
        }
        // The length is not trusted: a negative one is read as "until the close".
        #expect(judge(check, hostile[0]) == .passed)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let head = "HTTP/1.1 200 OK\r\n" + (Bool.random(using: &rng) ? "Transfer-Encoding: chunked\r\n" : "") + "\r\n"
            let noise = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let judge = HTTPAnswer(check: check)
            _ = (Array(head.utf8) + noise).withUnsafeBytes { judge.received($0) }
            _ = judge.ended()
        }
    }

    @Test func theRequestNamesMethodPathAndHost() {
        let request = HTTPAnswer.request(HTTPCheck(method: "HEAD", path: "/healthz", host: "app.example"), defaultHost: "[2001:db8::1]:80")
        #expect(String(decoding: request, as: UTF8.self)
            == "HEAD /healthz HTTP/1.1\r\nHost: app.example\r\nUser-Agent: usher-health-check\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: HTTPAnswer.request(HTTPCheck(path: "/"), defaultHost: "[2001:db8::1]:80"), as: UTF8.self)
            .contains("\r\nHost: [2001:db8::1]:80\r\n"))
    }
}
