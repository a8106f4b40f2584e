import Yams

/// The fields of each health check type.
extension ConfigReader {
    /// The kind of a check of `type` from its fields (checked already to belong to it).
    mutating func readCheckKind(_ type: String, fields: [String: Node], of node: Node, at path: FieldPath) -> HealthCheckKind {
        switch type {
        case "http":
            return .http(readHTTPCheck(fields, at: path))
        case "https":
            return .https(readHTTPCheck(fields, at: path), readCheckTLS(fields, at: path))
        case "tls":
            return .tls(readCheckTLS(fields, at: path))
        case "udp":
            return .udp(readUDPCheck(fields, of: node, at: path))
        case "dns":
            return .dns(readDNSCheck(fields, at: path))
        case "script":
            require([("script", "add `script: /usr/local/bin/check-app`, a program whose exit status 0 means healthy")],
                    in: fields, at: path, what: "a script health check")
            var script = ScriptCheck(path: "")
            if let node = fields["script"] {
                script.path = scalar(node, at: path.key("script"), what: "a program path", hint: "write an absolute path, e.g. /usr/local/bin/check-app") ?? ""
            }
            if let node = fields["arguments"] { script.arguments = textList(node, at: path.key("arguments"), what: "arguments") }
            return .script(script)
        case "none":
            return .none
        default:
            return .tcp
        }
    }

    private mutating func readCheckTLS(_ fields: [String: Node], at path: FieldPath) -> HealthCheckTLS {
        var tls = HealthCheckTLS()
        if let node = fields["server-name"] {
            tls.serverName = scalar(node, at: path.key("server-name"), what: "a server name",
                                    hint: "write the DNS name in the real's certificate, e.g. app.internal")
        }
        if let node = fields["verify"] { tls.verify = boolean(node, at: path.key("verify"), what: "verify") ?? true }
        if let node = fields["ca"] {
            tls.caPath = scalar(node, at: path.key("ca"), what: "a CA file", hint: "write the path of a PEM file, e.g. /etc/usher/ca.pem")
        }
        return tls
    }

    private mutating func readHTTPCheck(_ fields: [String: Node], at path: FieldPath) -> HTTPCheck {
        if fields["path"] == nil {
            report(path.key("path"), at: mark(of: path), "missing field \"path\" in an http health check",
                   hint: "add `path: /healthz`, the URL path to request")
        }
        var http = HTTPCheck(path: "")
        if let node = fields["path"] {
            http.path = scalar(node, at: path.key("path"), what: "a health check path", hint: "write the URL path to GET, e.g. /healthz") ?? ""
        }
        if let node = fields["method"] {
            http.method = scalar(node, at: path.key("method"), what: "an HTTP method", hint: "write GET, HEAD or another method") ?? "GET"
        }
        if let node = fields["host"] {
            http.host = scalar(node, at: path.key("host"), what: "a Host header", hint: "write the name the real serves, e.g. app.example")
        }
        if let node = fields["expect-status"] { http.expectStatus = readStatusCodes(node, at: path.key("expect-status")) ?? http.expectStatus }
        if let node = fields["expect-body"] {
            http.bodyContains = scalar(node, at: path.key("expect-body"), what: "a text the body must contain", hint: "e.g. `expect-body: ok`")
        }
        return http
    }

    /// `200`, `200-399`, or a list of either: `[200, 204, 300-399]`.
    private mutating func readStatusCodes(_ node: Node, at path: FieldPath) -> StatusCodes? {
        let hint = "write the status a healthy real answers, e.g. 200, a range such as 200-399, or a list [200, 204]"
        var ranges: [ClosedRange<Int>] = []
        for (item, itemPath) in oneOrList(node, at: path) {
            guard let text = scalar(item, at: itemPath, what: "expect-status", hint: hint) else { return nil }
            guard let range = StatusCodes.parseItem(text) else {
                let message = text.contains("-") ? "expect-status \"\(text)\" is not a range of status codes"
                                                 : "expect-status \"\(text)\" is not a whole number"
                report(itemPath, at: item.mark, message, hint: hint)
                return nil
            }
            ranges.append(range)
        }
        return ranges.isEmpty ? nil : StatusCodes(ranges)
    }

    private mutating func readUDPCheck(_ fields: [String: Node], of node: Node, at path: FieldPath) -> UDPCheck {
        var udp = UDPCheck(send: [])
        switch (fields["send"], fields["send-hex"]) {
        case let (text?, nil):
            udp.send = Array((scalar(text, at: path.key("send"), what: "the bytes to send", hint: "write text, e.g. `send: \"PING\\n\"`") ?? "").utf8)
        case let (nil, hex?):
            // Unreadable: one byte stands in, so that the loader does not also report it empty.
            udp.send = hexBytes(hex, at: path.key("send-hex")) ?? [0]
        case (nil, nil):
            report(path.key("send"), at: mark(of: path), "missing field \"send\" in a udp health check",
                   hint: "add `send: \"PING\\n\"` (text) or `send-hex: 0a0b0c` (bytes)")
        case (_?, _?):
            report(path.key("send-hex"), at: Self.keyMark("send-hex", in: node), "give either send or send-hex, not both",
                   hint: "remove one of them")
        }
        let given = ["expect", "expect-hex", "expect-regex"].filter { fields[$0] != nil }
        if given.count > 1 {
            report(path.key(given[1]), at: Self.keyMark(given[1], in: node), "give one of expect, expect-hex and expect-regex, not \(given.count)",
                   hint: "keep the one that says what a healthy reply is")
        } else if let node = fields["expect"] {
            udp.expect = .bytes(Array((scalar(node, at: path.key("expect"), what: "the expected reply", hint: "write its text") ?? "").utf8))
        } else if let node = fields["expect-hex"] {
            udp.expect = .bytes(hexBytes(node, at: path.key("expect-hex")) ?? [])
        } else if let node = fields["expect-regex"] {
            udp.expect = .regex(scalar(node, at: path.key("expect-regex"), what: "a regular expression", hint: "e.g. `expect-regex: ^OK`") ?? "")
        }
        return udp
    }

    private mutating func readDNSCheck(_ fields: [String: Node], at path: FieldPath) -> DNSCheck {
        require([("query", "add `query: www.example.com`, the name to ask for")], in: fields, at: path, what: "a dns health check")
        var dns = DNSCheck(name: "")
        if let node = fields["query"] {
            dns.name = scalar(node, at: path.key("query"), what: "a DNS name", hint: "write the name to ask for, e.g. www.example.com") ?? ""
        }
        if let node = fields["query-type"] {
            dns.type = choice(node, at: path.key("query-type"), what: "DNS query type", choices: DNSCheck.types.map { ($0.name, $0.value) },
                              synonyms: Dictionary(uniqueKeysWithValues: DNSCheck.types.map { ($0.name.lowercased(), $0.name) })) ?? dns.type
        }
        if let node = fields["expect-rcode"] {
            var codes: [UInt8] = []
            for (item, itemPath) in oneOrList(node, at: path.key("expect-rcode")) {
                if let code = choice(item, at: itemPath, what: "DNS rcode", choices: DNSCheck.rcodes.map { ($0.name, $0.value) },
                                     synonyms: Dictionary(uniqueKeysWithValues: DNSCheck.rcodes.map { ($0.name.lowercased(), $0.name) })) {
                    codes.append(code)
                }
            }
            if !codes.isEmpty { dns.expectRcodes = codes }
        }
        return dns
    }

    /// `0a0b0c` or `0a 0b 0c` as bytes; nil with a report otherwise.
    private mutating func hexBytes(_ node: Node, at path: FieldPath) -> [UInt8]? {
        let hint = "write pairs of hex digits, e.g. 0a0b0c or \"0a 0b 0c\""
        guard let text = scalar(node, at: path, what: "hex bytes", hint: hint) else { return nil }
        let digits = Array(text.filter { $0 != " " && $0 != ":" })
        guard digits.count % 2 == 0, !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else {
            report(path, at: node.mark, "\"\(text)\" is not hex bytes", hint: hint)
            return nil
        }
        return stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
    }

    /// A list of plain texts (a single text is a list of one).
    private mutating func textList(_ node: Node, at path: FieldPath, what: String) -> [String] {
        oneOrList(node, at: path).compactMap { scalar($0.0, at: $0.1, what: what, hint: "write plain text, or a list such as `[--fast]`") }
    }

    /// The items of a list with their paths, or the node itself when it is not a list.
    mutating func oneOrList(_ node: Node, at path: FieldPath) -> [(Node, FieldPath)] {
        guard case let .sequence(sequence) = node else { return [(node, path)] }
        return sequence.enumerated().map {
            record(path.index($0.offset), $0.element.mark)
            return ($0.element, path.index($0.offset))
        }
    }
}
