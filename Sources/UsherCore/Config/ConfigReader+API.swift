import Yams

/// `api:`: where the daemon serves its API, /metrics and status page.
extension ConfigReader {
    static let apiFields = ["socket", "listen", "tls-certificate", "tls-key", "token-file"]

    mutating func readAPISettings(_ node: Node, at path: FieldPath) -> APISettings? {
        let hint = "write `listen: 198.51.100.2:9443` with `tls-certificate:`, `tls-key:` and `token-file:` under `api:`"
        guard let fields = mapping(node, at: path, what: "the API settings", fields: Self.apiFields, hint: hint) else { return nil }
        var settings = APISettings()
        var ok = true
        func file(_ key: String, _ what: String, _ example: String) -> String? {
            guard let node = fields[key] else { return nil }
            let text = scalar(node, at: path.key(key), what: what, hint: "write an absolute path such as \(example)")
            guard let text else { ok = false; return nil }
            guard text.hasPrefix("/") else {
                report(path.key(key), at: node.mark, "\(what) \"\(text)\" is not an absolute path",
                       hint: "write an absolute path such as \(example)")
                ok = false
                return nil
            }
            return text
        }
        settings.socket = file("socket", "the API socket", "/run/usher/api.sock")
        settings.tlsCertificate = file("tls-certificate", "the API's certificate", "/etc/usher/api.crt")
        settings.tlsKey = file("tls-key", "the API's key", "/etc/usher/api.key")
        settings.tokenFile = file("token-file", "the API's token file", "/etc/usher/api.token")
        if let node = fields["listen"] {
            let listenHint = "write ADDRESS:PORT such as 198.51.100.2:9443 or [2001:db8:2::2]:9443"
            if let text = scalar(node, at: path.key("listen"), what: "the API listener", hint: listenHint) {
                settings.listen = APISettings.Listener(text)
                if settings.listen == nil {
                    report(path.key("listen"), at: node.mark, "\"\(text)\" is not an address and port", hint: listenHint)
                }
            }
            if settings.listen == nil { ok = false }
            // A TCP listener is never plain or open: TLS and a token, or the socket alone.
            for (key, example) in [("tls-certificate", "/etc/usher/api.crt"), ("tls-key", "/etc/usher/api.key"),
                                   ("token-file", "/etc/usher/api.token")] where fields[key] == nil {
                report(path.key(key), at: node.mark, "a TCP listener needs \(key)",
                       hint: "add `\(key): \(example)`: the API over TCP is served with TLS and a bearer token only")
                ok = false
            }
        } else {
            for key in ["tls-certificate", "tls-key", "token-file"] where fields[key] != nil {
                report(path.key(key), at: fields[key]?.mark, "\(key) is set but `listen:` is not",
                       hint: "add `listen: 198.51.100.2:9443` for a TCP listener, or remove \(key) (the Unix socket needs none)")
                ok = false
            }
        }
        return ok ? settings : nil
    }
}
