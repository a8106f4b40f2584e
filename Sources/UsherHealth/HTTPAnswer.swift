import Foundation
import UsherCore

/// Judges the answer to a plain-HTTP check from its raw bytes, as they arrive: the status must be
/// among the expected ones and, when the check names one, the body (its first 64 KiB, chunked
/// encoding undone) must contain a substring. A status that decides the check decides it at
/// once; anything else — another status, bytes that are not HTTP/1.x, a close before the answer
/// is complete — fails it. Interim answers (1xx) are skipped. Used on the prober thread only.
final class HTTPAnswer: SocketProber.Exchange, @unchecked Sendable {
    static let bodyLimit = 64 * 1024
    /// More header bytes than this is not an answer to a health check.
    static let headLimit = 16 * 1024

    private let check: HTTPCheck
    private var bytes: [UInt8] = []
    /// Where the body starts in `bytes`, once the head is read.
    private var bodyStart: Int?
    private var framing = Framing.untilClose

    private enum Framing {
        case untilClose
        case length(Int)
        case chunked
    }

    init(check: HTTPCheck) {
        self.check = check
    }

    /// The request the check writes (after a PROXY header when it has one).
    static func request(_ check: HTTPCheck, defaultHost: String) -> [UInt8] {
        Array("\(check.method) \(check.path) HTTP/1.1\r\nHost: \(check.host ?? defaultHost)\r\nUser-Agent: usher-health-check\r\nConnection: close\r\n\r\n".utf8)
    }

    func received(_ new: UnsafeRawBufferPointer) -> ProbeResult? {
        let room = (bodyStart ?? 0) + Self.bodyLimit + Self.headLimit - bytes.count
        bytes.append(contentsOf: new.prefix(max(room, 0)))
        if bodyStart == nil, let verdict = readHead() { return verdict }
        guard bodyStart != nil, let wanted = check.bodyContains else { return nil }
        let (body, complete) = self.body()
        if contains(body, wanted) { return .passed }
        if complete || body.count >= Self.bodyLimit { return .failed("body does not contain \"\(wanted)\"") }
        return nil
    }

    func ended() -> ProbeResult {
        guard bodyStart != nil, let wanted = check.bodyContains else {
            return .failed("connection closed before a complete answer")
        }
        return contains(body().bytes, wanted) ? .passed : .failed("body does not contain \"\(wanted)\"")
    }

    /// Reads the head once it is all in: a verdict when it decides the check; nil to wait for
    /// more (or for the body). Works on the bytes: the fields are read only when the body matters.
    private func readHead() -> ProbeResult? {
        while bodyStart == nil {
            guard let end = Self.find([13, 10, 13, 10], in: bytes[...]) else {
                return bytes.count >= Self.headLimit ? .failed("an answer head longer than \(Self.headLimit / 1024) KiB") : nil
            }
            guard let status = Self.status(bytes[..<end]) else {
                let line = bytes[..<(Self.find([13, 10], in: bytes[...]) ?? end)]
                return .failed("not an HTTP/1.x answer: \(ProbeText.quoted(Substring(String(decoding: line, as: UTF8.self))))")
            }
            if (100...199).contains(status), status != 101 {
                bytes.removeFirst(end + 4) // an interim answer: the real one follows
                continue
            }
            guard check.expectStatus.contains(status) else { return .failed("status \(status), expected \(check.expectStatus)") }
            guard check.bodyContains != nil else { return .passed }
            bodyStart = end + 4
            if check.method == "HEAD" || status == 204 || status == 304 {
                framing = .length(0)
            } else {
                for line in String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n").dropFirst() {
                    let field = line.split(separator: ":", maxSplits: 1)
                    guard field.count == 2 else { continue }
                    let name = field[0].lowercased(), value = field[1].trimmingCharacters(in: .whitespaces).lowercased()
                    if name == "transfer-encoding", value.hasSuffix("chunked") { framing = .chunked }
                    if name == "content-length", case .untilClose = framing, let length = Int(value), length >= 0 { framing = .length(length) }
                }
            }
        }
        return nil
    }

    /// The status of a head that starts `HTTP/1.0 NNN` or `HTTP/1.1 NNN` (then a space or the
    /// line's end); nil for anything else.
    static func status(_ head: ArraySlice<UInt8>) -> Int? {
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        guard head.count >= 12, head.prefix(7).elementsEqual(prefix) else { return nil }
        let at = head.startIndex
        guard head[at + 7] == UInt8(ascii: "0") || head[at + 7] == UInt8(ascii: "1"), head[at + 8] == UInt8(ascii: " ") else { return nil }
        var status = 0
        for i in 9..<12 {
            let digit = head[at + i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            status = status * 10 + Int(digit)
        }
        guard head.count == 12 || head[at + 12] == UInt8(ascii: " ") || head[at + 12] == 13 else { return nil }
        return status
    }

    /// The body so far (chunked encoding undone) and whether it is complete.
    private func body() -> (bytes: ArraySlice<UInt8>, complete: Bool) {
        let raw = bytes[(bodyStart ?? bytes.count)...]
        switch framing {
        case .untilClose:
            return (raw, false)
        case let .length(length):
            return (raw.prefix(length), raw.count >= length)
        case .chunked:
            return Self.dechunk(raw)
        }
    }

    /// The data of the complete chunks in `raw`, and whether the last (empty) chunk was seen.
    static func dechunk(_ raw: ArraySlice<UInt8>) -> (bytes: ArraySlice<UInt8>, complete: Bool) {
        var data: [UInt8] = []
        var at = raw.startIndex
        while let lineEnd = find([13, 10], in: raw[at...]) {
            let sizeText = String(decoding: raw[at..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else { break }
            if size == 0 { return (data[...], true) }
            let start = lineEnd + 2
            guard raw.endIndex - start >= size else {
                data += raw[start...] // a chunk still arriving: its start may already hold the substring
                break
            }
            data += raw[start..<(start + size)]
            at = start + size + 2
            guard at <= raw.endIndex else { break }
        }
        return (data[...], false)
    }

    private func contains(_ body: ArraySlice<UInt8>, _ wanted: String) -> Bool {
        String(decoding: body.prefix(Self.bodyLimit), as: UTF8.self).contains(wanted)
    }

    /// Where `needle` starts in `haystack`.
    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = haystack.startIndex
        while i <= haystack.endIndex - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
