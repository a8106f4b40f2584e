/// Puts a request path in the one form the content rules match and the real servers get, so
/// that a rule cannot be bypassed by spelling a path another way (`//admin`, `/%61dmin`,
/// `/x/../admin`):
/// 1. percent-escapes of unreserved characters (RFC 3986 §2.3: letters, digits, `-._~`) are
///    decoded; other escapes are kept, their hex digits uppercased;
/// 2. empty segments (`//`) are merged;
/// 3. `.` and `..` segments are removed (RFC 3986 §5.2.4).
///
/// Refused (400): an escaped `/` (`%2F`, which servers disagree on) or NUL (`%00`), a malformed
/// escape, a path that climbs above the root, a path not starting with `/`. The query is not
/// touched. `*` (OPTIONS) stays as it is. Most paths need none of this: one pass over the
/// bytes finds that and returns the path itself, without copying.
enum PathNormalizer {
    static func normalize(_ path: Substring) -> Result<Substring, Rejection> {
        if path == "*" { return .success(path) }
        guard path.utf8.first == UInt8(ascii: "/") else { return .failure(reject("the path does not start with /")) }
        guard needsWork(path) else { return .success(path) }
        switch decodeUnreserved(path) {
        case .failure(let r): return .failure(r)
        case .success(let decoded): return removeDotSegments(decoded)
        }
    }

    /// A `%`, an empty segment, or a segment starting with `.`.
    private static func needsWork(_ path: Substring) -> Bool {
        var previous: UInt8 = 0
        for b in path.utf8 {
            if b == UInt8(ascii: "%") { return true }
            if previous == UInt8(ascii: "/"), b == UInt8(ascii: "/") || b == UInt8(ascii: ".") { return true }
            previous = b
        }
        return false
    }

    private static func decodeUnreserved(_ path: Substring) -> Result<[UInt8], Rejection> {
        let bytes = Array(path.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            guard b == UInt8(ascii: "%") else {
                out.append(b)
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                return .failure(reject("malformed percent-escape in the path"))
            }
            let value = high << 4 | low
            if value == UInt8(ascii: "/") { return .failure(reject("encoded / in the path")) }
            if value == 0 { return .failure(reject("encoded NUL in the path")) }
            if isUnreserved(value) {
                out.append(value)
            } else {
                out += [UInt8(ascii: "%"), upperHex(high), upperHex(low)]
            }
            i += 3
        }
        return .success(out)
    }

    private static func removeDotSegments(_ bytes: [UInt8]) -> Result<Substring, Rejection> {
        // Segments after the leading "/"; the last one empty means a trailing slash.
        let segments = bytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var kept: [ArraySlice<UInt8>] = []
        var trailingSlash = false
        for (n, segment) in segments.enumerated() {
            let isLast = n == segments.count - 1
            switch segment.count {
            case 0:
                trailingSlash = isLast
            case 1 where segment.first == UInt8(ascii: "."):
                trailingSlash = isLast
            case 2 where segment.allSatisfy({ $0 == UInt8(ascii: ".") }):
                guard !kept.isEmpty else { return .failure(reject("the path climbs above the root")) }
                kept.removeLast()
                trailingSlash = isLast
            default:
                kept.append(segment)
                trailingSlash = false
            }
        }
        var out: [UInt8] = [UInt8(ascii: "/")]
        for (n, segment) in kept.enumerated() {
            if n > 0 { out.append(UInt8(ascii: "/")) }
            out += segment
        }
        if trailingSlash, !kept.isEmpty { out.append(UInt8(ascii: "/")) }
        return .success(Substring(decoding: out, as: UTF8.self))
    }

    private static func reject(_ reason: String) -> Rejection {
        Rejection(status: .badRequest, reason: reason)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func upperHex(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "A") + v - 10
    }

    private static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
