/// The checks of an `http`/`https` service's proxy settings. Paths are those of the file
/// (`services[0].pools[1].reals[0].port`).
extension ConfigValidator {
    static let poolNameHint = "use 1 to 63 letters, digits, '.', '_' or '-', e.g. app"

    static func checkLayer7(_ service: VirtualService, at path: FieldPath, into out: inout [ValidationIssue]) {
        let mode = service.mode
        guard !mode.isLayer4 else {
            if service.l7 != nil {
                out.append(.init(path.key("mode"), "a \(mode.rawValue) service has proxy settings (pools, rules, tls, …)",
                                 hint: "they are for http and https services: set mode: http or https, or remove them"))
            }
            return
        }
        if !service.reals.isEmpty {
            out.append(.init(path.key("reals"), "an \(mode.rawValue) service reaches its real servers through pools, not reals",
                             hint: "put them in a pool: `pools:` then `- name: app` with `reals:`, each with its `port:`"))
        }
        guard let l7 = service.l7 else {
            out.append(.init(path.key("pools"), "an \(mode.rawValue) service needs its pools of real servers",
                             hint: "write the service in the config file with `pools:` (and `tls:` for https), and apply it",
                             absent: path.key("pools")))
            return
        }
        checkTLS(l7.tls, mode: mode, at: path.key("tls"), into: &out)
        checkLimits(l7.limits, at: path.key("limits"), into: &out)
        checkHeaderRewrite(l7.requestHeaders, request: true, at: path.key("request-headers"), into: &out)
        checkHeaderRewrite(l7.responseHeaders, request: false, at: path.key("response-headers"), into: &out)
        checkAccessLog(l7.accessLog, at: path.key("access-log"), into: &out)
        checkPools(l7.pools, at: path, into: &out)
        checkRules(l7, mode: mode, at: path, into: &out)
        if let name = l7.defaultPool {
            if let problem = unknownPoolProblem(name, in: l7) {
                out.append(.init(path.key("default-pool"), problem.0, hint: problem.1))
            }
        } else if l7.rules.isEmpty {
            out.append(.init(path.key("default-pool"), "no default-pool and no rules: every request would get 404",
                             hint: l7.pools.first.map { "add `default-pool: \($0.name)`" } ?? "add a pool and `default-pool:` naming it, or rules",
                             absent: path.key("rules")))
        }
    }

    /// Why `name` names no pool of `l7`, with a hint listing the pools.
    static func unknownPoolProblem(_ name: String, in l7: L7Settings) -> (String, String)? {
        guard l7.pool(named: name) == nil else { return nil }
        var names: [String] = []
        for pool in l7.pools where !pool.name.isEmpty && !names.contains(pool.name) { names.append(pool.name) }
        let hint: String
        if let close = Suggestions.closest(to: name, among: names) {
            hint = "did you mean \"\(close)\"? The pools are \(Suggestions.list(names))"
        } else if names.isEmpty {
            hint = "add it under `pools:`"
        } else {
            hint = "the pools are \(Suggestions.list(names)); add it under `pools:` or name one of them"
        }
        return ("no pool named \"\(name)\" in this service", hint)
    }

    private static func checkTLS(_ tls: TLSSettings?, mode: ForwardingMode, at path: FieldPath, into out: inout [ValidationIssue]) {
        guard let tls else {
            if mode == .https {
                out.append(.init(path, "an https service needs `tls:` with its certificates",
                                 hint: "add `tls:` with `certificates:` and `- cert: /etc/usher/site.pem` and `key: /etc/usher/site.key`, or use mode: http",
                                 absent: path))
            }
            return
        }
        if mode == .http {
            out.append(.init(path, "tls is for https services; this one is http",
                             hint: "set `mode: https` to terminate TLS here, or remove tls"))
        }
        let certificates = path.key("certificates")
        if tls.certificates.isEmpty {
            out.append(.init(certificates, "no certificates given",
                             hint: "list at least one `- cert: FILE` with `key: FILE`; the first is for clients without SNI",
                             absent: certificates))
        }
        var seen: [String: Int] = [:]
        for (k, files) in tls.certificates.enumerated() {
            let item = certificates.index(k)
            if let first = seen[files.certificatePath] {
                out.append(.init(item.key("cert"), "certificate \(files.certificatePath) is already listed at",
                                 hint: "list each certificate once", related: certificates.index(first).key("cert")))
                continue
            }
            seen[files.certificatePath] = k
            if let (problem, hint) = pemFileProblem(files.certificatePath, expecting: .certificate) {
                out.append(.init(item.key("cert"), problem, hint: hint))
            }
            if let (problem, hint) = pemFileProblem(files.keyPath, expecting: .privateKey) {
                out.append(.init(item.key("key"), problem, hint: hint))
            }
        }
        if tls.alpn.isEmpty {
            out.append(.init(path.key("alpn"), "no ALPN protocol given",
                             hint: "leave alpn out for [h2, http/1.1], or write [http/1.1] to refuse HTTP/2"))
        }
        for (k, proto) in tls.alpn.enumerated() {
            if let first = tls.alpn.firstIndex(of: proto), first < k {
                out.append(.init(path.key("alpn").index(k), "ALPN protocol \(proto.rawValue) is already listed at",
                                 hint: "list each protocol once, in order of preference", related: path.key("alpn").index(first)))
            }
        }
    }

    private static func checkLimits(_ limits: HTTPLimits, at path: FieldPath, into out: inout [ValidationIssue]) {
        let bounds = L7Bounds.self
        let problems: [(String, (String, String)?)] = [
            ("max-request-line", boundsProblem("max-request-line", bytes: limits.maxRequestLineBytes, bounds.maxRequestLineBytes)),
            ("max-header-bytes", boundsProblem("max-header-bytes", bytes: limits.maxHeaderBytes, bounds.maxHeaderBytes)),
            ("max-headers", boundsProblem("max-headers", count: limits.maxHeaderCount, bounds.maxHeaderCount)),
            ("max-body", boundsProblem("max-body", bytes: limits.maxBodyBytes, bounds.maxBodyBytes)),
            ("header-timeout", boundsProblem("header-timeout", seconds: limits.headerTimeoutSeconds, bounds.headerTimeoutSeconds)),
            ("idle-timeout", boundsProblem("idle-timeout", seconds: limits.idleTimeoutSeconds, bounds.idleTimeoutSeconds)),
            ("max-connections", boundsProblem("max-connections", count: limits.maxConnections, bounds.maxConnections)),
            ("body-timeout", boundsProblem("body-timeout", seconds: limits.bodyTimeoutSeconds, bounds.bodyTimeoutSeconds)),
            ("min-body-rate", boundsProblem("min-body-rate", bytes: limits.minBodyRate, bounds.minBodyRate)),
        ]
        for case let (key, (problem, hint)?) in problems {
            out.append(.init(path.key(key), problem, hint: hint))
        }
    }

    /// Fields the proxy writes itself: framing and hop-by-hop headers.
    static let managedHeaders: Set<String> = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "proxy-connection",
    ]

    private static func checkHeaderRewrite(_ rewrite: HeaderRewrite, request: Bool, at path: FieldPath, into out: inout [ValidationIssue]) {
        var seen: [String: String] = [:]
        for field in rewrite.fieldsToSet {
            let fieldPath = path.key("set").key(field.name)
            let lower = field.name.lowercased()
            if let problem = headerNameProblem(field.name) {
                out.append(.init(fieldPath, problem, hint: headerNameHint))
            } else if managedHeaders.contains(lower) {
                out.append(.init(fieldPath, "\(field.name) cannot be set: the proxy writes it for each message",
                                 hint: "remove it from set"))
            } else if let first = seen[lower] {
                out.append(.init(fieldPath, "header \(field.name) is already set at", hint: "header names ignore case: set it once",
                                 related: path.key("set").key(first)))
            } else if let problem = headerValueProblem(field.value) {
                out.append(.init(fieldPath, problem, hint: "write the value on one line, without control characters"))
            }
            if seen[lower] == nil { seen[lower] = field.name }
        }
        let framing: Set<String> = request ? ["content-length", "transfer-encoding", "host"] : ["content-length", "transfer-encoding"]
        for (k, name) in rewrite.namesToRemove.enumerated() {
            let itemPath = path.key("remove").index(k)
            if let problem = headerNameProblem(name) {
                out.append(.init(itemPath, problem, hint: headerNameHint))
            } else if framing.contains(name.lowercased()) {
                out.append(.init(itemPath, "\(name) cannot be removed: the \(request ? "request" : "response") would be invalid HTTP",
                                 hint: "remove \(name) from the list"))
            }
        }
    }

    static let headerNameHint = "a header name is letters, digits and !#$%&'*+-.^_`|~, e.g. X-Env"

    /// Why `name` is not an HTTP field name (a token), if it is not.
    static func headerNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the header name is empty" }
        if let bad = name.first(where: { !isTokenCharacter($0) }) { return "header name \"\(name)\" contains \(quoted(bad))" }
        return nil
    }

    static func isTokenCharacter(_ c: Character) -> Bool {
        guard c.isASCII, c.isLetter || c.isNumber || "!#$%&'*+-.^_`|~".contains(c) else { return false }
        return true
    }

    static func headerValueProblem(_ value: String) -> String? {
        if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) { return "the header value contains a line break" }
        if value.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7f }) {
            return "the header value contains a control character"
        }
        return nil
    }

    private static func checkAccessLog(_ target: AccessLogTarget, at path: FieldPath, into out: inout [ValidationIssue]) {
        guard case let .file(file) = target else { return }
        if !file.hasPrefix("/") {
            let close = Suggestions.closest(to: file, among: ["stdout", "none"])
            out.append(.init(path, close.map { _ in "unknown access log target \"\(file)\"" } ?? "access log file \"\(file)\" is a relative path",
                             hint: close.map { "did you mean \($0)? Write stdout, none, or an absolute path" }
                                 ?? "write an absolute path, e.g. /var/log/usher/\(file)"))
        } else if let problem = logDirectoryProblem(file) {
            out.append(.init(path, problem, hint: "create the directory, or write another path"))
        }
    }
}
