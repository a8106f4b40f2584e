/// Which certificate serves a TLS server name (SNI): exact names first, then a wildcard
/// `*.example.com` for exactly one more label (`a.example.com`, not `example.com` nor
/// `a.b.example.com`), else the default (index 0). Matching ignores ASCII case and one trailing dot.
/// When two certificates list the same name, the first one listed serves it.
struct ServerNameTable: Sendable, Equatable {
    private var exact: [String: Int] = [:]
    /// Keyed by the part after `*.`.
    private var wildcard: [String: Int] = [:]

    /// Names that more than one certificate lists (kept for the first); names that are neither a
    /// plain DNS name nor a leading `*.` wildcard (ignored).
    private(set) var duplicates: [String] = []
    private(set) var unsupported: [String] = []

    /// - Parameter names: the DNS names of each certificate, in the order the certificates are listed.
    init(names: [[String]]) {
        for (index, list) in names.enumerated() {
            for raw in list {
                let name = Self.normalize(raw)
                if name.hasPrefix("*.") {
                    let suffix = String(name.dropFirst(2))
                    guard !suffix.isEmpty, !suffix.contains("*") else { unsupported.append(raw); continue }
                    if wildcard[suffix] == nil { wildcard[suffix] = index } else { duplicates.append(raw) }
                } else {
                    guard !name.isEmpty, !name.contains("*") else { unsupported.append(raw); continue }
                    if exact[name] == nil { exact[name] = index } else { duplicates.append(raw) }
                }
            }
        }
    }

    /// The index of the certificate to present for `serverName` (nil: the client sent no SNI).
    func index(for serverName: String?) -> Int {
        guard let serverName else { return 0 }
        let name = Self.normalize(serverName)
        if let index = exact[name] { return index }
        if let dot = name.firstIndex(of: "."), let index = wildcard[String(name[name.index(after: dot)...])] {
            return index
        }
        return 0
    }

    static func normalize(_ name: String) -> String {
        var lowered = name.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }
}
