import ArgumentParser
import UsherBPF
import UsherControl
import UsherCore

/// `usher flows`: the flows the data plane tracks, with their translation.
struct FlowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "List the tracked flows: client, VIP, service, real, the SNAT address and port, state, idle time.",
        discussion: """
        dsr flows come from the connection table (state "tracked"); nat and gateway flows from the \
        NAT table, with their state from the TCP flags seen each way: established, fin-client, \
        fin-real, closed. SNAT is what the real server sees as the source: a pool address and port \
        (nat), the client itself (gateway), - for dsr. Filters apply before --limit.
        """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Only flows of this service.", valueName: "name")) var service: String?
    @Option(help: ArgumentHelp("Only flows to this real server.", valueName: "address")) var real: IPAddress?
    @Option(help: ArgumentHelp("Only flows from this client address or prefix.", valueName: "address|prefix")) var client: IPPrefix?
    @Option(help: "Show at most this many flows.") var limit: Int = 1000

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        if let client, client.address.bytes != client.networkBytes {
            throw ValidationError("--client \(client) has host bits set; write \(client.network)")
        }
    }

    func run() throws {
        try reportingErrors {
            let controller = global.controller()
            if let service {
                let config = try controller.currentConfig()
                guard config.service(named: service) != nil else { throw unknownService(service, in: config) }
            }
            let dataplane = try controller.dataplane(create: false)
            let names = try controller.loadDataplaneState()
            let filtered = service != nil || real != nil || client != nil
            // Without a filter the data plane stops building flows at the limit; with one,
            // every flow is read and matched first.
            let (all, total) = try dataplane.trackedFlows(limit: filtered ? Int.max : limit, names: names)
            let matching = all.filter(matches)
            let shown = Array(matching.prefix(limit))
            let truncated = filtered ? matching.count > shown.count : total > shown.count
            if output.json {
                try printJSON(FlowsReport(flows: shown.map(FlowRow.init), shown: shown.count, total: total))
                return
            }
            if shown.isEmpty {
                print(total == 0 ? "No tracked flows." : "None of the \(total) tracked flows matches.")
                return
            }
            var table = TextTable(["PROTO", "CLIENT", "VIP", "SERVICE", "MODE", "REAL", "SNAT", "STATE", "IDLE"], numeric: [8])
            for f in shown {
                table.add([f.proto.rawValue, endpoint(f.client, f.clientPort), endpoint(f.vip, f.vipPort),
                           f.service ?? "#\(f.serviceID)", f.mode, f.real.map { endpoint($0, f.realPort) } ?? "(removed)",
                           f.snatAddress.map { endpoint($0, f.snatPort ?? 0) } ?? "-", f.state, "\(f.idleSeconds)s"])
            }
            print(table.render())
            if truncated { print("\(shown.count) flows shown of \(total) tracked") }
        }
    }

    private func matches(_ flow: TrackedFlow) -> Bool {
        if let service, flow.service != service { return false }
        if let real, flow.real != real { return false }
        if let client, !client.contains(flow.client) { return false }
        return true
    }
}

/// `192.0.2.10:40512`, `[2001:db8::10]:40512`.
func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
    address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
}

/// `usher flows --json`.
private struct FlowsReport: Encodable {
    let flows: [FlowRow]
    let shown: Int
    let total: Int
}

/// One flow as `usher flows --json` prints it; every key is present (null when unknown).
private struct FlowRow: Encodable {
    let flow: TrackedFlow

    init(_ flow: TrackedFlow) { self.flow = flow }

    enum CodingKeys: String, CodingKey {
        case proto = "protocol", client, clientPort = "client_port", vip, vipPort = "vip_port", service, mode
        case real, realPort = "real_port", snatAddress = "snat_address", snatPort = "snat_port", state
        case idleSeconds = "idle_seconds"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(flow.proto.rawValue, forKey: .proto)
        try c.encode(flow.client.description, forKey: .client)
        try c.encode(flow.clientPort, forKey: .clientPort)
        try c.encode(flow.vip.description, forKey: .vip)
        try c.encode(flow.vipPort, forKey: .vipPort)
        try c.encode(flow.service, forKey: .service)
        try c.encode(flow.mode, forKey: .mode)
        try c.encode(flow.real?.description, forKey: .real)
        try c.encode(flow.realPort, forKey: .realPort)
        try c.encode(flow.snatAddress?.description, forKey: .snatAddress)
        try c.encode(flow.snatPort, forKey: .snatPort)
        try c.encode(flow.state, forKey: .state)
        try c.encode(flow.idleSeconds, forKey: .idleSeconds)
    }
}
