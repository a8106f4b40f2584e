import ArgumentParser
import UsherBPF
import UsherControl
import UsherCore

/// `usher snat-pool add|remove|list`: the source addresses and ports of nat services.
struct SNATPoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snat-pool",
        abstract: "Add, remove and list SNAT pools, the source addresses real servers see from nat services.",
        subcommands: [Add.self, Remove.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an SNAT pool (give it to a service with `usher service add … --mode nat --snat-pool NAME`).",
            discussion: """
            The addresses must be this balancer's, on the side the real servers reply to, and not \
            VIPs or real servers. Each CPU allocates source ports from its own share of the range, \
            so the range needs at least as many ports as the balancer has CPUs.
            """
        )

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the pool, [A-Za-z0-9._-], at most 63 characters.") var name: String
        @Option(name: .customLong("address"), help: ArgumentHelp("A source address; repeat for more (1 to 16, one family).",
                                                                 valueName: "address"))
        var addresses: [IPAddress] = []
        @Option(help: ArgumentHelp("Source ports, LOWER-UPPER.", valueName: "range")) var ports: PortRange = SNATPool.defaultPorts

        func validate() throws {
            if let problem = ConfigValidator.snatPoolNameProblem(name) {
                throw ValidationError("\(problem); use 1 to 63 letters, digits, '.', '_' or '-'")
            }
            guard let first = addresses.first else {
                throw ValidationError("give the pool at least one --address, e.g. --address 198.51.100.3")
            }
            if addresses.count > SNATPool.maxAddresses {
                throw ValidationError("\(addresses.count) addresses; a pool holds at most \(SNATPool.maxAddresses)")
            }
            if let other = addresses.first(where: { $0.isV4 != first.isV4 }) {
                throw ValidationError("--address \(other) is \(other.familyName) and \(first) is \(first.familyName); "
                    + "a pool holds one family: make a pool for each")
            }
            for (i, address) in addresses.enumerated() {
                if addresses[..<i].contains(address) { throw ValidationError("--address \(address) is given twice") }
                if let problem = ConfigValidator.addressScopeProblem(address, role: "an SNAT address") {
                    throw ValidationError("--address: \(problem)")
                }
            }
            if let (problem, hint) = ConfigValidator.portRangeProblem(ports, cpus: ConfigValidator.possibleCPUCount) {
                throw ValidationError("--ports: \(problem) (\(hint))")
            }
        }

        func run() throws {
            try reportingErrors {
                try global.controller().update { config in
                    if config.snatPool(named: name) != nil {
                        throw CLIError("SNAT pool \(name) exists already; remove it first or pick another name")
                    }
                    for address in addresses {
                        if let pool = config.snatPools.first(where: { $0.addresses.contains(address) }) {
                            throw CLIError("\(address) is already in SNAT pool \(pool.name); an address belongs to one pool")
                        }
                        if let service = config.services.first(where: { $0.vip == address }) {
                            throw CLIError("\(address) is the VIP of service \(service.name); an SNAT address must be another address of this balancer")
                        }
                        if let service = config.services.first(where: { $0.reals.contains { $0.address == address } }) {
                            throw CLIError("\(address) is a real server of service \(service.name); an SNAT address must be this balancer's")
                        }
                    }
                    config.snatPools.append(SNATPool(name: name, addresses: addresses, ports: ports))
                }
                let list = addresses.map(\.description).joined(separator: ", ")
                print("Added SNAT pool \(name): \(list), ports \(ports).")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an SNAT pool that no service uses.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the pool.") var name: String

        func run() throws {
            try reportingErrors {
                try global.controller().update { config in
                    guard config.snatPool(named: name) != nil else { throw unknownSNATPool(name, in: config) }
                    let users = config.services.filter { $0.snatPool == name }.map(\.name)
                    if !users.isEmpty {
                        let which = users.count == 1 ? "service \(users[0])" : "services \(users.joined(separator: ", "))"
                        throw CLIError("SNAT pool \(name) is used by \(which); remove \(users.count == 1 ? "it" : "them") first, "
                            + "or apply a config that gives \(users.count == 1 ? "it" : "them") another pool")
                    }
                    config.snatPools.removeAll { $0.name == name }
                }
                print("Removed SNAT pool \(name).")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the SNAT pools, the services using them and the ports in use per address.",
            discussion: "IN USE counts the tracked nat flows from each address (read from the pinned maps; - when none are pinned).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors {
                let controller = global.controller()
                let config = try controller.currentConfig()
                // Ports in use only when maps are pinned: listing never creates them.
                let inUse = controller.mapsArePinned ? try controller.dataplane(create: false).snatPortsInUse() : nil
                let rows = config.snatPools.map { pool in
                    SNATPoolRow(pool, services: config.services.filter { $0.snatPool == pool.name }.map(\.name), inUse: inUse)
                }
                if output.json {
                    try printJSON(rows)
                    return
                }
                var table = TextTable(["NAME", "ADDRESS", "PORTS", "SERVICES", "IN USE"], numeric: [4])
                for row in rows {
                    for (i, address) in row.addresses.enumerated() {
                        let first = i == 0
                        table.add([first ? row.name : "", address.address, first ? row.ports : "",
                                   first ? (row.services.isEmpty ? "(none)" : row.services.joined(separator: ", ")) : "",
                                   address.portsInUse.map(String.init) ?? "-"])
                    }
                }
                print(rows.isEmpty ? "No SNAT pools." : table.render())
            }
        }
    }
}

/// A pool as `snat-pool list --json` prints it.
struct SNATPoolRow: Encodable {
    struct Address: Encodable {
        let address: String
        /// Tracked nat flows from this address (null when no maps are pinned).
        let portsInUse: Int?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(address, forKey: .address)
            try c.encode(portsInUse, forKey: .portsInUse) // null, not left out
        }

        enum CodingKeys: String, CodingKey { case address, portsInUse = "ports_in_use" }
    }

    let name: String
    let addresses: [Address]
    /// `1024-65535`.
    let ports: String
    let portMin: UInt16
    let portMax: UInt16
    let services: [String]

    init(_ pool: SNATPool, services: [String], inUse: [IPAddress: Int]?) {
        name = pool.name
        addresses = pool.addresses.map { address in Address(address: address.description, portsInUse: inUse.map { $0[address] ?? 0 }) }
        ports = pool.ports.description
        portMin = pool.ports.lower
        portMax = pool.ports.upper
        self.services = services
    }

    enum CodingKeys: String, CodingKey {
        case name, addresses, ports, services
        case portMin = "port_min", portMax = "port_max"
    }
}

/// The error for a pool name that is not configured, listing the ones that are.
func unknownSNATPool(_ name: String, in config: BalancerConfig) -> CLIError {
    let known = config.snatPools.map(\.name)
    let hint = known.isEmpty ? "there are no SNAT pools yet: `usher snat-pool add NAME --address A`"
        : "known pools: \(known.joined(separator: ", "))"
    return CLIError("no SNAT pool named \(name); \(hint)")
}
