import Yams

/// `alerts:`: a webhook and/or an email on every real's or service's state change.
extension ConfigReader {
    static let alertsFields = ["max-per-minute", "webhook", "email"]
    static let webhookFields = ["url", "timeout", "ca-file"]
    static let emailFields = ["server", "starttls", "from", "to", "subject-prefix", "timeout", "ca-file"]

    mutating func readAlerts(_ node: Node, at path: FieldPath) -> AlertSettings {
        var out = AlertSettings()
        guard let fields = mapping(node, at: path, what: "the alert settings", fields: Self.alertsFields,
                                   hint: "write `webhook:` and/or `email:` under it, see Docs/CONFIG.md")
        else { return out }
        if let node = fields["max-per-minute"] {
            let hint = "write how many alerts a minute at most, from 1 to 1000, e.g. 10"
            if let n = integer(node, at: path.key("max-per-minute"), what: "max-per-minute", hint: hint) {
                if (1...1000).contains(n) { out.maxPerMinute = n } else {
                    report(path.key("max-per-minute"), at: node.mark, "max-per-minute \(n) is out of range", hint: hint)
                }
            }
        }
        if let node = fields["webhook"], !Self.isNull(node) { out.webhook = readWebhook(node, at: path.key("webhook")) }
        if let node = fields["email"], !Self.isNull(node) { out.email = readEmail(node, at: path.key("email")) }
        return out
    }

    private mutating func readWebhook(_ node: Node, at path: FieldPath) -> WebhookAlert? {
        guard let fields = mapping(node, at: path, what: "a webhook", fields: Self.webhookFields,
                                   hint: "write `url: https://hooks.example.com/usher` under it") else { return nil }
        require([("url", "add `url: https://hooks.example.com/usher`, where each alert is POSTed as JSON")],
                in: fields, at: path, what: "a webhook")
        let hint = "write an http:// or https:// URL, e.g. https://hooks.example.com/usher or http://198.51.100.9:8080/alerts"
        var webhook: WebhookAlert?
        if let node = fields["url"], let text = scalar(node, at: path.key("url"), what: "a webhook URL", hint: hint) {
            switch WebhookAlert.parse(url: text) {
            case let .success(w): webhook = w
            case .failure(.noScheme): report(path.key("url"), at: node.mark, "\"\(text)\" does not start with http:// or https://", hint: hint)
            case let .failure(.unknownScheme(s)): report(path.key("url"), at: node.mark, "a webhook is POSTed over http or https, not \"\(s)\"", hint: hint)
            case .failure(.whitespace): report(path.key("url"), at: node.mark, "a webhook URL holds no spaces", hint: "write a space as %20")
            case .failure(.userInfo):
                report(path.key("url"), at: node.mark, "a webhook URL with a user or password (user@host) is not supported",
                       hint: "put a token in the path or query instead")
            case let .failure(.badHost(h)): report(path.key("url"), at: node.mark, "\"\(h)\" is not a host name or address", hint: hint)
            case let .failure(.badPort(p)): report(path.key("url"), at: node.mark, "\"\(p)\" is not a port (1-65535)", hint: hint)
            }
        }
        let timeout = fields["timeout"].flatMap { alertTimeout($0, at: path.key("timeout")) }
        let caFile = fields["ca-file"].flatMap { absolutePath($0, at: path.key("ca-file"), what: "ca-file") }
        guard var webhook else { return nil }
        webhook.timeoutSeconds = timeout ?? webhook.timeoutSeconds
        webhook.caFile = caFile
        if caFile != nil, !webhook.secure {
            report(path.key("ca-file"), at: mark(of: path.key("ca-file")), "ca-file is for an https webhook; this one is http",
                   hint: "remove ca-file, or use an https:// URL")
        }
        return webhook
    }

    private mutating func readEmail(_ node: Node, at path: FieldPath) -> EmailAlert? {
        guard let fields = mapping(node, at: path, what: "the email settings", fields: Self.emailFields,
                                   hint: "write `server:`, `from:` and `to:` under it") else { return nil }
        require([("server", "add `server: smtp.example.com` (port 25 unless given: smtp.example.com:587)"),
                 ("from", "add `from: usher@lb1.example.com`"),
                 ("to", "add `to: ops@example.com` (or a list)")], in: fields, at: path, what: "the email settings")
        var server: HostPort?
        if let node = fields["server"] {
            let hint = "write HOST or HOST:PORT, e.g. smtp.example.com or 198.51.100.9:2525"
            if let text = scalar(node, at: path.key("server"), what: "an SMTP server", hint: hint) {
                switch HostPort.parse(Substring(text), defaultPort: EmailAlert.defaultPort) {
                case let .success(hp): server = hp
                case let .failure(.badHost(h)): report(path.key("server"), at: node.mark, "\"\(h)\" is not a host name or address", hint: hint)
                case let .failure(.badPort(p)): report(path.key("server"), at: node.mark, "\"\(p)\" is not a port (1-65535)", hint: hint)
                }
            }
        }
        let from = fields["from"].flatMap { mailAddress($0, at: path.key("from")) }
        let to = fields["to"].map { node in oneOrList(node, at: path.key("to")).compactMap { mailAddress($0.0, at: $0.1) } } ?? []
        if let node = fields["to"], to.isEmpty, !issues.contains(where: { $0.path.components.starts(with: path.key("to").components) }) {
            report(path.key("to"), at: node.mark, "no address to send alerts to", hint: "write `to: ops@example.com` or a list")
        }
        let startTLS = fields["starttls"].flatMap { boolean($0, at: path.key("starttls"), what: "starttls") }
        var prefix: String?
        if let node = fields["subject-prefix"] {
            prefix = scalar(node, at: path.key("subject-prefix"), what: "subject-prefix", hint: "write text such as [usher lb1]")
            if let p = prefix, p.contains(where: { $0.isNewline }) || p.count > 100 {
                report(path.key("subject-prefix"), at: node.mark, "subject-prefix must be one line of at most 100 characters",
                       hint: "write text such as [usher lb1]")
                prefix = nil
            }
        }
        let timeout = fields["timeout"].flatMap { alertTimeout($0, at: path.key("timeout")) }
        let caFile = fields["ca-file"].flatMap { absolutePath($0, at: path.key("ca-file"), what: "ca-file") }
        guard let server, let from, !to.isEmpty else { return nil }
        if caFile != nil, startTLS != true {
            report(path.key("ca-file"), at: mark(of: path.key("ca-file")), "ca-file is for STARTTLS, which is off",
                   hint: "add `starttls: true`, or remove ca-file")
        }
        return EmailAlert(server: server.host, port: server.port, startTLS: startTLS ?? false, from: from, to: to,
                          subjectPrefix: prefix ?? EmailAlert.defaultSubjectPrefix,
                          timeoutSeconds: timeout ?? EmailAlert.defaultTimeoutSeconds, caFile: caFile)
    }

    private mutating func mailAddress(_ node: Node, at path: FieldPath) -> String? {
        let hint = "write a plain address such as ops@example.com (no name, no angle brackets)"
        guard let text = scalar(node, at: path, what: "an email address", hint: hint) else { return nil }
        guard EmailAlert.isPlainAddress(text) else {
            report(path, at: node.mark, "\"\(text)\" is not a plain email address", hint: hint)
            return nil
        }
        return text
    }

    /// A send's time limit: 100 ms to 60 s.
    private mutating func alertTimeout(_ node: Node, at path: FieldPath) -> Double? {
        guard let seconds = duration(node, at: path, what: "timeout") else { return nil }
        guard (0.1...60).contains(seconds) else {
            report(path, at: node.mark, "timeout \(seconds) s is out of range", hint: "write from 100ms to 60s, e.g. 5s")
            return nil
        }
        return seconds
    }

    private mutating func absolutePath(_ node: Node, at path: FieldPath, what: String) -> String? {
        let hint = "write the absolute path of a PEM file, e.g. /etc/usher/alerts-ca.pem"
        guard let text = scalar(node, at: path, what: what, hint: hint) else { return nil }
        guard text.hasPrefix("/") else {
            report(path, at: node.mark, "\(what) \"\(text)\" is not an absolute path", hint: hint)
            return nil
        }
        return text
    }
}
