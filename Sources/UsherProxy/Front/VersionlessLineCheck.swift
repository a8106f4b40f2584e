/// Spots a request line without an HTTP version (`GET /`, HTTP/0.9) before NIO's parser
/// does not: llhttp takes such a line for HTTP/0.9 and waits for one more byte before it says
/// anything, so the client heard nothing until the header timeout. The proxy answers 400 at once.
///
/// Only a line known to start a request is looked at: the first of the connection, or the
/// first after a request ended (its end passed the guard) with every response finished, when
/// the bytes read before ended with a blank line, so the parser holds no part of a head then
/// (a head ends at its first blank line; a body that ends with one is that of a request whose
/// head already surfaced). Otherwise (pipelined requests, bodies) nothing is checked and the
/// header timeout still applies. A versionless line is `token SP target` with no ` HTTP/`:
/// never a header line (a field name is followed by `:`), so a 400 is right even if the
/// parser did hold some bytes.
struct VersionlessLineCheck {
    /// The first line of the request being received, while it is being checked.
    private var line: [UInt8]?
    /// The last bytes read, to know whether they ended with a blank line.
    private var tail: (UInt8, UInt8, UInt8) = (0, 0, 0)
    /// The parser holds no part of a head: nothing was read yet, or the last read ended
    /// with a blank line.
    private var aligned = true
    /// A request's head passed the guard and its end has not.
    private var requestOpen = false
    /// Longer first lines are left to the parser (414).
    let maxLineBytes: Int

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    mutating func headReceived() { requestOpen = true }
    mutating func requestEnded() { requestOpen = false }

    /// Bytes just read, before the parser sees them. `noResponseOutstanding`: every request
    /// head received has been answered in full. Returns true for a versionless request line.
    mutating func received(_ bytes: UnsafeRawBufferPointer, noResponseOutstanding: Bool) -> Bool {
        defer { remember(bytes) }
        if line == nil, aligned, noResponseOutstanding, !requestOpen { line = [] }
        guard line != nil else { return false }
        var start = 0
        while let lf = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            line!.append(contentsOf: bytes[start..<lf])
            if line!.last == UInt8(ascii: "\r") { line!.removeLast() }
            if line!.isEmpty {
                // Blank lines before a request line are skipped (RFC 9112 §2.2).
                start = lf + 1
                continue
            }
            let versionless = Self.isVersionless(line!)
            line = nil
            return versionless
        }
        line!.append(contentsOf: bytes[start...])
        if line!.count > maxLineBytes { line = nil }
        return false
    }

    /// `token SP target` (origin, absolute or asterisk form), no HTTP version after it.
    static func isVersionless(_ line: [UInt8]) -> Bool {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 2, let method = parts.first, let target = parts.last, !method.isEmpty, !target.isEmpty,
              method.allSatisfy(HTTPCharacters.isTokenByte) else { return false }
        return target.first == UInt8(ascii: "/") || target.elementsEqual("*".utf8)
            || (target.firstRange(of: Array("://".utf8)) != nil && HTTPCharacters.isTokenByte(target.first!))
    }

    private mutating func remember(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes.suffix(3) { tail = (tail.1, tail.2, b) }
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        aligned = (tail.1 == lf && tail.2 == lf) || (tail.0 == lf && tail.1 == cr && tail.2 == lf)
    }
}
