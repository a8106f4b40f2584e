import ArgumentParser
import UsherControl
import UsherCore

/// `usher service add|remove|list`.
struct ServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Add, remove and list virtual services.",
        subcommands: [Add.self, Remove.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a virtual service (it has no real servers until `usher real add`).",
            discussion: "A nat service needs --snat-pool: a pool made with `usher snat-pool add` (or under snat-pools: in a config file).")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the service, [A-Za-z0-9._-], at most 63 characters.") var name: String
        @Option(help: ArgumentHelp("Virtual IP address.", valueName: "address")) var vip: IPAddress
        @Option(help: ArgumentHelp("Port, 1-65535, or * for every port.", valueName: "port")) var port: PortArgument
        @Option(name: .customLong("proto"), help: "tcp or udp.") var proto: TransportProtocol = .tcp
        @Option(help: "dsr-l2, dsr-ipip, nat, gateway, http or https.") var mode: ForwardingMode
        @Option(help: ArgumentHelp("nat only: the SNAT pool whose addresses the real servers see.", valueName: "name"))
        var snatPool: String?
        @Option(help: ArgumentHelp("Maglev table size, a prime.", valueName: "prime"))
        var tableSize: UInt32 = VirtualService.defaultMaglevTableSize
        @Option(help: "5-tuple (default) or source-ip.") var hash: HashArgument = .fiveTuple

        func validate() throws {
            if let problem = ConfigValidator.serviceNameProblem(name) {
                throw ValidationError("\(problem); use 1 to 63 letters, digits, '.', '_' or '-'")
            }
            if let (problem, hint) = ConfigValidator.tableSizeProblem(Int(tableSize)) {
                throw ValidationError("--table-size: \(problem) (\(hint))")
            }
            if mode == .nat, snatPool == nil {
                throw ValidationError("--mode nat needs --snat-pool NAME: the pool of source addresses the real servers see (usher snat-pool list)")
            }
            if mode != .nat, snatPool != nil {
                throw ValidationError("--snat-pool goes with --mode nat, not \(mode.rawValue)")
            }
        }

        func run() throws {
            try reportingErrors {
                let service = VirtualService(
                    name: name, vip: vip, port: port.value, proto: proto, mode: mode,
                    maglevTableSize: tableSize, hashSourceOnly: hash == .sourceIP, snatPool: snatPool)
                try global.controller().update { config in
                    if config.service(named: name) != nil {
                        throw CLIError("service \(name) exists already; remove it first or pick another name")
                    }
                    if let snatPool {
                        guard let pool = config.snatPool(named: snatPool) else { throw unknownSNATPool(snatPool, in: config) }
                        if let first = pool.addresses.first, first.isV4 != vip.isV4 {
                            throw CLIError("SNAT pool \(snatPool) holds \(first.familyName) addresses and \(vip) is \(vip.familyName); "
                                + "a nat service needs a pool of its VIP's family")
                        }
                    }
                    config.services.append(service)
                }
                print("Added service \(name) \(service.key) \(mode.rawValue)\(snatPool.map { " with SNAT pool \($0)" } ?? "").")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a virtual service; its tracked flows stop being balanced.")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the service.") var name: String

        func run() throws {
            try reportingErrors {
                try global.controller().update { config in
                    guard config.service(named: name) != nil else { throw unknownService(name, in: config) }
                    config.services.removeAll { $0.name == name }
                }
                print("Removed service \(name).")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the virtual services.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try reportingErrors {
                let config = try global.controller().currentConfig()
                if output.json {
                    try printJSON(config.services.map(ServiceRow.init))
                    return
                }
                // The SNAT POOL column only when some service has a pool.
                let pools = config.services.contains { $0.snatPool != nil }
                var table = TextTable(["NAME", "SERVICE", "MODE", "HASH", "TABLE", "REALS", "ACTIVE"] + (pools ? ["SNAT POOL"] : []),
                                      numeric: [4, 5, 6])
                for s in config.services {
                    table.add([s.name, s.key.description, s.mode.rawValue, s.hashSourceOnly ? "source-ip" : "5-tuple",
                               String(s.maglevTableSize), String(s.reals.count), String(s.activeReals.count)]
                        + (pools ? [s.snatPool ?? "-"] : []))
                }
                print(config.services.isEmpty ? "No services." : table.render())
            }
        }
    }
}

/// A service as `service list --json` prints it.
struct ServiceRow: Encodable {
    let name: String
    let service: String
    let vip: String
    let port: UInt16
    let proto: String
    let mode: String
    let hash: String
    let maglevTableSize: UInt32
    /// nat services only (left out otherwise).
    let snatPool: String?
    let reals: [RealView]

    init(_ s: VirtualService) {
        name = s.name
        service = s.key.description
        vip = s.vip.description
        port = s.port
        proto = s.proto.rawValue
        mode = s.mode.rawValue
        hash = s.hashSourceOnly ? "source-ip" : "5-tuple"
        maglevTableSize = s.maglevTableSize
        snatPool = s.snatPool
        reals = s.reals.map { RealView(service: s, $0, health: nil) }
    }

    enum CodingKeys: String, CodingKey {
        case name, service, vip, port, proto, mode, hash, reals
        case maglevTableSize = "maglev_table_size", snatPool = "snat_pool"
    }
}

/// The error for a service name that is not configured, listing the ones that are.
func unknownService(_ name: String, in config: BalancerConfig) -> CLIError {
    CLIError(RealLookupError.unknownService(name, known: config.services.map(\.name)).description)
}
