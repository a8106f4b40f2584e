import NIOHTTP1
import UsherCore

/// A content rule ready for the request path: host lowercased, regex compiled once.
struct CompiledRule: @unchecked Sendable {
    // @unchecked: `Regex` is immutable after compilation and matching does not mutate it;
    // the standard library does not mark it Sendable for every output type.
    enum HostMatch {
        case exact(String)
        /// `*.example.com` stored as `.example.com`: any name ending with it.
        case suffix(String)
    }

    enum PathTest {
        case prefix(String)
        case exact(String)
        case regex(Regex<AnyRegexOutput>)
    }

    let host: HostMatch?
    let path: PathTest?
    let header: HeaderCondition?
    let action: RuleAction
    /// Position in the service's rules, for errors and logs.
    let number: Int

    init(_ rule: ContentRule, number: Int, service: String) throws {
        self.number = number
        if let h = rule.match.host?.lowercased() {
            host = h.hasPrefix("*.") ? .suffix(String(h.dropFirst())) : .exact(h)
        } else {
            host = nil
        }
        switch rule.match.path {
        case nil: path = nil
        case .prefix(let p): path = .prefix(p)
        case .exact(let p): path = .exact(p)
        case .regex(let pattern):
            do {
                path = .regex(try Regex(pattern))
            } catch {
                throw ProxyConfigurationError.invalidPathRegex(
                    service: service, rule: number, pattern: pattern, reason: "\(error)")
            }
        }
        header = rule.match.header
        action = rule.action
    }

    func matches(_ target: RequestTarget, headers: HTTPHeaders) -> Bool {
        switch host {
        case nil: break
        case .exact(let h): guard target.host == h[...] else { return false }
        case .suffix(let s): guard target.host.count > s.count, target.host.hasSuffix(s) else { return false }
        }
        switch path {
        case nil: break
        case .prefix(let p): guard target.path.hasPrefix(p) else { return false }
        case .exact(let p): guard target.path == p[...] else { return false }
        case .regex(let r):
            guard (try? r.firstMatch(in: target.path)) != nil else { return false }
        }
        if let header {
            let values = headers[header.name]
            if values.isEmpty { return false }
            if let wanted = header.value, !values.contains(wanted) { return false }
        }
        return true
    }
}
