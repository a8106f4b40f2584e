import Testing

/// Everything a failed change must leave as it was, as the CLI prints it: the maps read back
/// (VIPs, reals, Maglev tables with their kernel map ids, tracked flows, globals) and the
/// configuration the control plane keeps.
struct Snapshot: Equatable, CustomStringConvertible {
    let dump: String
    let services: String
    let reals: String

    var description: String { "maps dump:\n\(dump)\nservice list:\n\(services)\nreal list:\n\(reals)" }
}

extension Sandbox {
    func snapshot() throws -> Snapshot {
        Snapshot(dump: try ok("maps", "dump", "--json"),
                 services: try ok("service", "list", "--json"),
                 reals: try ok("real", "list", "--json"))
    }
}
