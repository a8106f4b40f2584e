import ArgumentParser
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
            abstract: "Add a virtual service (it has no real servers until `usher real add`).")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Name of the service, [A-Za-z0-9._-], at most 63 characters.") var name: String
        @Option(help: ArgumentHelp("Virtual IP address.", valueName: "address")) var vip: IPAddress
        @Option(help: ArgumentHelp("Port, 1-65535, or * for every port.", valueName: "port")) var port: PortArgument
        @Option(name: .customLong("proto"), help: "tcp or udp.") var proto: TransportProtocol = .tcp
        @Option(help: "dsr-l2, dsr-ipip, http or https.") var mode: ForwardingMode
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
        }

        func run() throws {
            try reportingErrors {
                let service = VirtualService(
                    name: name, vip: vip, port: port.value, proto: proto, mode: mode,
                    maglevTableSize: tableSize, hashSourceOnly: hash == .sourceIP)
                try Controller(options: global).update { config in
                    if config.service(named: name) != nil {
                        throw CLIError("service \(name) exists already; remove it first or pick another name")
                    }
                    config.services.append(service)
                }
                print("Added service \(name) \(service.key) \(mode.rawValue).")
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
                try Controller(options: global).update { config in
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
                let config = try Controller(options: global).currentConfig()
                if output.json {
                    try printJSON(config.services.map(ServiceRow.init))
                    return
                }
                var table = TextTable(["NAME", "SERVICE", "MODE", "HASH", "TABLE", "REALS", "ACTIVE"], numeric: [4, 5, 6])
                for s in config.services {
                    table.add([s.name, s.key.description, s.mode.rawValue, s.hashSourceOnly ? "source-ip" : "5-tuple",
                               String(s.maglevTableSize), String(s.reals.count), String(s.activeReals.count)])
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
    let reals: [RealRow]

    init(_ s: VirtualService) {
        name = s.name
        service = s.key.description
        vip = s.vip.description
        port = s.port
        proto = s.proto.rawValue
        mode = s.mode.rawValue
        hash = s.hashSourceOnly ? "source-ip" : "5-tuple"
        maglevTableSize = s.maglevTableSize
        reals = s.reals.map { RealRow(service: s.name, $0) }
    }

    enum CodingKeys: String, CodingKey {
        case name, service, vip, port, proto, mode, hash, reals
        case maglevTableSize = "maglev_table_size"
    }
}

/// The error for a service name that is not configured, listing the ones that are.
func unknownService(_ name: String, in config: BalancerConfig) -> CLIError {
    let known = config.services.map(\.name)
    let hint = known.isEmpty ? "there are no services yet: `usher service add` or `usher apply -f FILE`"
        : "known services: \(known.joined(separator: ", "))"
    return CLIError("no service named \(name); \(hint)")
}
