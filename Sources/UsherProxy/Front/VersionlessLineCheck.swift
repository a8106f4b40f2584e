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
///
/// A line that arrives whole in one read (the usual case) is looked at where it lies: no copy.
struct VersionlessLineCheck {
    /// The first line of the request being received is being checked.
    private var checking = false
    /// Its bytes so far, when it spans reads (kept empty otherwise).
    private var line: [UInt8] = []
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
        if !checking, aligned, noResponseOutstanding, !requestOpen { checking = true }
        guard checking else { return false }
        let cr = UInt8(ascii: "\r")
        var start = 0
        while let lf = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if line.isEmpty {
                // The whole line is in this read.
                let end = lf > start && bytes[lf - 1] == cr ? lf - 1 : lf
                if end == start {
                    // Blank lines before a request line are skipped (RFC 9112 §2.2).
                    start = lf + 1
                    continue
                }
                checking = false
                return Self.isVersionless(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            }
            line.append(contentsOf: bytes[start..<lf])
            if line.last == cr { line.removeLast() }
            if line.isEmpty {
                start = lf + 1
                continue
            }
            checking = false
            defer { line.removeAll(keepingCapacity: true) }
            return line.withUnsafeBytes(Self.isVersionless)
        }
        line.append(contentsOf: bytes[start...])
        if line.count > maxLineBytes {
            checking = false
            line = []
        }
        return false
    }

    /// `token SP target` (origin, absolute or asterisk form), no HTTP version after it.
    static func isVersionless(_ line: UnsafeRawBufferPointer) -> Bool {
        let space = UInt8(ascii: " ")
        guard let gap = line.firstIndex(of: space), !line[(gap + 1)...].contains(space) else { return false }
        let method = line[..<gap], target = line[(gap + 1)...]
        guard let first = target.first, !method.isEmpty, method.allSatisfy(HTTPCharacters.isTokenByte) else { return false }
        if first == UInt8(ascii: "/") || (target.count == 1 && first == UInt8(ascii: "*")) { return true }
        let (colon, slash) = (UInt8(ascii: ":"), UInt8(ascii: "/"))
        let hasScheme = target.indices.contains { i in
            i + 3 <= target.endIndex && target[i] == colon && target[i + 1] == slash && target[i + 2] == slash
        }
        return hasScheme && HTTPCharacters.isTokenByte(first)
    }

    private mutating func remember(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes.suffix(3) { tail = (tail.1, tail.2, b) }
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        aligned = (tail.1 == lf && tail.2 == lf) || (tail.0 == lf && tail.1 == cr && tail.2 == lf)
    }
}
