/// The checks of the content rules of an `http`/`https` service.
extension ConfigValidator {
    static let redirectStatusHint = "use 301 or 308 (permanent), 302, 303 or 307 (temporary)"

    static func checkRules(_ l7: L7Settings, mode: ForwardingMode, at service: FieldPath, into out: inout [ValidationIssue]) {
        var catchAll: Int?
        for (r, rule) in l7.rules.enumerated() {
            let path = service.key("rules").index(r)
            if let first = catchAll {
                // Unless that rule had conditions that could not be read (or misspelt ones).
                out.append(.init(path, "this rule is never reached: every request is decided by the rule without conditions at",
                                 hint: "move it above that rule, or give that rule a host, path or header",
                                 related: service.key("rules").index(first), absent: service.key("rules").index(first)))
            }
            checkMatch(rule.match, at: path, into: &out)
            switch rule.action {
            case let .pool(name):
                if let (problem, hint) = unknownPoolProblem(name, in: l7) { out.append(.init(path.key("pool"), problem, hint: hint)) }
            case let .redirect(redirect):
                checkRedirect(redirect, mode: mode, at: path.key("redirect"), into: &out)
            }
            if catchAll == nil, rule.match == RuleMatch() { catchAll = r }
        }
    }

    private static func checkMatch(_ match: RuleMatch, at path: FieldPath, into out: inout [ValidationIssue]) {
        if let host = match.host, let problem = hostnameProblem(host, wildcard: true) {
            out.append(.init(path.key("host"), problem, hint: "write a host name such as shop.example, or *.shop.example for its subdomains"))
        }
        switch match.path {
        case let .prefix(p)?:
            if let problem = pathProblem(p) { out.append(.init(path.key("path-prefix"), problem, hint: "write e.g. `path-prefix: /api`")) }
        case let .exact(p)?:
            if let problem = pathProblem(p) { out.append(.init(path.key("path"), problem, hint: "write e.g. `path: /login`")) }
        case let .regex(pattern)?:
            if let problem = regexProblem(pattern) {
                out.append(.init(path.key("path-regex"), problem,
                                 hint: "write a regular expression matched against the path, e.g. \"^/v[0-9]+/\" (quoted)"))
            }
        case nil:
            break
        }
        if let header = match.header {
            // Not again when the condition could not be read.
            let whole = path.key("header")
            if let problem = headerNameProblem(header.name) { out.append(.init(whole.key("name"), problem, hint: headerNameHint, absent: whole)) }
            if let value = header.value, let problem = headerValueProblem(value) {
                out.append(.init(whole.key("value"), problem, hint: "write the exact value on one line", absent: whole))
            }
        }
    }

    /// Why `path` cannot be matched against a request path, if it cannot.
    static func pathProblem(_ path: String) -> String? {
        if !path.hasPrefix("/") { return "path \"\(path)\" does not start with /" }
        if let bad = path.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value >= 0x7f }) {
            return "path \"\(path)\" contains \(bad == " " ? "a space" : "a character that is not printable ASCII"); requests carry it percent-encoded"
        }
        return nil
    }

    /// Why `pattern` is not a regular expression the proxy can use, if it is not: it compiles
    /// it with Swift `Regex`, as done here.
    static func regexProblem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "the regular expression is empty (it would match every path)" }
        do {
            _ = try Regex(pattern)
        } catch {
            let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            return "\"\(pattern)\" is not a valid regular expression: \(reason)"
        }
        return nil
    }

    /// Why `host` is not a host name (or, with `wildcard`, a `*.` wildcard), if it is not.
    static func hostnameProblem(_ host: String, wildcard: Bool) -> String? {
        if host.isEmpty { return "the host name is empty" }
        if let colon = host.lastIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isNumber), !host.hasSuffix(":") {
            return "host \"\(host)\" has a port; the host is matched without it, write \(host[..<colon])"
        }
        var name = Substring(host)
        if name.hasPrefix("*.") {
            guard wildcard else { return "host \"\(host)\" is a wildcard; a single name is needed here" }
            name = name.dropFirst(2)
        } else if name.contains("*") {
            return "host \"\(host)\" has a * that is not a whole first label; write *.example.com for every subdomain"
        }
        if name.utf8.count > 253 { return "host name \"\(host)\" is longer than 253 characters" }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            if label.isEmpty { return "host name \"\(host)\" has an empty label (two dots, or a dot at an end)" }
            if label.utf8.count > 63 { return "host name \"\(host)\" has a label longer than 63 characters" }
            if let bad = label.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_")) }) {
                return "host name \"\(host)\" contains \(quoted(bad))"
            }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "host name \"\(host)\" has a label that starts or ends with '-'" }
        }
        return nil
    }

    private static func checkRedirect(_ redirect: Redirect, mode: ForwardingMode, at path: FieldPath, into out: inout [ValidationIssue]) {
        if let scheme = redirect.scheme, scheme != "http", scheme != "https" {
            out.append(.init(path.key("scheme"), "unknown scheme \"\(scheme)\"", hint: "write http or https"))
        }
        if let host = redirect.host, let problem = hostnameProblem(host, wildcard: false) {
            out.append(.init(path.key("host"), problem, hint: "write the host name to send clients to, e.g. shop.example"))
        }
        if redirect.port == 0 { out.append(.init(path.key("port"), "port 0 is out of range", hint: "use 1 to 65535")) }
        if !L7Bounds.redirectStatuses.contains(redirect.status) {
            out.append(.init(path.key("status"), "status \(redirect.status) is not a redirect", hint: redirectStatusHint))
        }
        // Only the scheme, and the one the request came with: the client is sent where it is.
        let sameScheme = redirect.scheme == nil || redirect.scheme == mode.rawValue
        if sameScheme, redirect.host == nil, redirect.port == nil {
            let what = redirect.scheme == nil ? "changes nothing" : "keeps the scheme \(mode.rawValue) of this service"
            out.append(.init(path, "this redirect \(what): clients would be sent to the URL they asked for, again and again",
                             hint: mode == .http ? "give `scheme: https`, a `host:` or a `port:`" : "give a `host:` or a `port:`, or `scheme: http`",
                             absent: path))
        }
    }
}
