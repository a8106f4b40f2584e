import UsherCore

/// Builds a redirect's `Location`: the request's URL with the configured parts replaced.
enum RedirectLocation {
    /// `scheme`: the scheme the request came in with (`http` or `https`).
    static func make(_ redirect: Redirect, target: RequestTarget, scheme: String) -> String {
        let newScheme = redirect.scheme?.lowercased() ?? scheme
        let host = redirect.host ?? String(target.host)
        let port: String?
        if let p = redirect.port {
            port = String(p)
        } else if redirect.scheme == nil || newScheme == scheme, redirect.host == nil {
            // Same scheme and host: keep the port the client used.
            port = target.port.map(String.init)
        } else {
            port = nil
        }
        let defaultPort = newScheme == "https" ? "443" : "80"
        var location = newScheme + "://" + host
        if let port, port != defaultPort { location += ":" + port }
        let path = target.path == "*" || target.path.isEmpty ? "/" : String(target.path)
        return location + path + target.query
    }
}
