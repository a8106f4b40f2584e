import NIOHTTP1

extension HTTPMethod {
    /// RFC 9110 §9.2.2: sending the request twice has the effect of sending it once, so a
    /// proxy may send it again when a connection failed before any answer.
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .PUT, .DELETE, .OPTIONS, .TRACE: return true
        default: return false
        }
    }
}
