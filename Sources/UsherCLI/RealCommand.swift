import ArgumentParser
import Foundation
import UsherControl
import UsherCore

/// `usher real add|remove|drain|weight|enable|disable|list`.
struct RealCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "real",
        abstract: "Add, remove, drain, weigh, enable, disable and list real servers of a service.",
        subcommands: [Add.self, Remove.self, Drain.self, Weight.self, Enable.self, Disable.self, List.self]
    )

    /// The service and real server a subcommand works on.
    struct Target: ParsableArguments {
        @Argument(help: "Name of the service.") var service: String
        @Argument(help: "Address of the real server.") var address: IPAddress
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a real server to a service.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Option(help: "Relative share of new flows, 0-1000 (0 = draining).") var weight: UInt32 = 1
        @Option(help: ArgumentHelp("Next-hop MAC; default: from the neighbour table.", valueName: "mac"))
        var mac: MACAddress?
        @Option(help: ArgumentHelp("nat and gateway services: the port the real listens on (default: the service's).",
                                   valueName: "port"))
        var port: UInt16?

        func validate() throws {
            try validateWeight(weight, option: "--weight")
            if port == 0 { throw ValidationError("--port: use 1 to 65535, the port the real server listens on") }
        }

        func run() throws {
            try reportingErrors {
                try modifyService(global, target.service) { service in
                    if service.reals.contains(where: { $0.address == target.address }) {
                        throw CLIError("\(target.address) is already a real server of \(target.service); use `usher real weight` to change its weight")
                    }
                    try checkNATReal(service, address: target.address, port: port)
                    service.reals.append(RealServer(address: target.address, weight: weight, mac: mac, port: port))
                }
                let at = port.map { target.address.isV4 ? "\(target.address):\($0)" : "[\(target.address)]:\($0)" }
                print("Added real \(at ?? target.address.description) to \(target.service) with weight \(weight).")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a real server; its tracked flows move to the remaining reals.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        func run() throws {
            try reportingErrors {
                try modifyReal(global, target) { service, index in service.reals.remove(at: index) }
                print("Removed real \(target.address) from \(target.service).")
            }
        }
    }

    struct Drain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain a real server: no new flows, its established flows continue.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        func run() throws {
            try reportingErrors {
                try modifyReal(global, target) { service, index in service.reals[index].weight = 0 }
                print("Draining real \(target.address) of \(target.service): no new flows.")
            }
        }
    }

    struct Weight: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a real server's weight (0 drains it; above 0 puts it back in rotation).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target
        @Argument(help: "New weight, 0-1000.") var weight: UInt32

        func validate() throws { try validateWeight(weight, option: "<weight>") }

        func run() throws {
            try reportingErrors {
                try modifyReal(global, target) { service, index in service.reals[index].weight = weight }
                print("Real \(target.address) of \(target.service) now has weight \(weight).")
            }
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a real server out whatever its health checks say: no new flows, its tracked flows dropped.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        func run() throws {
            try reportingErrors {
                try setDisabled(global, target, true)
                print("Disabled real \(target.address) of \(target.service): out of rotation until `usher real enable`.")
            }
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a disabled real server back: it takes new flows again while its health checks pass.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var target: Target

        func run() throws {
            try reportingErrors {
                try setDisabled(global, target, false)
                print("Enabled real \(target.address) of \(target.service).")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List real servers, of one service or all.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Only this service.") var service: String?

        func run() throws {
            try reportingErrors {
                let controller = global.controller()
                let config = try controller.currentConfig()
                let health = controller.runtimeStore.load().state.byTarget
                var services = config.services
                if let name = service {
                    guard let s = config.service(named: name) else { throw unknownService(name, in: config) }
                    services = [s]
                }
                let rows = services.flatMap { s in s.reals.map { RealRow(service: s, $0, health: health) } }
                if output.json {
                    try printJSON(rows)
                    return
                }
                // The PORT column only when some real has a port of its own (nat, gateway).
                let ports = rows.contains { $0.port != nil }
                // Health columns only when some real is checked.
                let checks = rows.contains { $0.checked }
                var table = TextTable(["SERVICE", "REAL"] + (ports ? ["PORT"] : []) + ["WEIGHT", "STATE"]
                                      + (checks ? ["SINCE", "LAST CHECK"] : []) + ["MAC"],
                                      numeric: ports ? [2, 3] : [2])
                for r in rows {
                    table.add([r.service, r.address] + (ports ? [r.port.map(String.init) ?? "-"] : [])
                        + [String(r.weight), r.state + (r.backup == true ? " (backup)" : "")]
                        + (checks ? [r.since.map(ago) ?? "-", r.lastCheckSummary] : []) + [r.mac ?? "(neighbour table)"])
                }
                print(rows.isEmpty ? "No real servers." : table.render())
            }
        }
    }
}

/// A real server as `real list --json` prints it, with what its health checks found.
struct RealRow: Encodable {
    let service: String
    let address: String
    let weight: UInt32
    /// disabled, draining (weight 0), down, up (checked and passing) or active (not checked).
    let state: String
    /// true for a sorry server (left out otherwise).
    let backup: Bool?
    /// Whether health checks watch it (not printed in JSON: `since` and `last_check` say it).
    let checked: Bool
    /// When the real entered its health state (checked reals only).
    let since: Date?
    let lastCheck: Date?
    let lastPassed: Bool?
    let lastError: String?
    let lastLatencySeconds: Double?
    let mac: String?
    /// nat/gateway: the port the real listens on (left out when it is the service's).
    let port: UInt16?

    /// With `health` nil (not read), a checked real's state is only what the config says.
    init(service: VirtualService, _ real: RealServer, health: [HealthTarget: RuntimeState.Entry]?) {
        self.service = service.name
        address = real.address.description
        weight = real.weight
        let checked = health != nil && service.healthCheck(of: real) != nil
        let status = checked ? health?[service.healthTarget(of: real)]?.status : nil
        if real.disabled {
            state = "disabled"
        } else if real.isDraining {
            state = "draining"
        } else if checked {
            state = status?.state.rawValue ?? "up"
        } else {
            state = "active"
        }
        backup = real.backup ? true : nil
        self.checked = checked
        since = status?.since
        lastCheck = status?.lastCheck
        lastPassed = status?.lastPassed
        lastError = status?.lastError
        lastLatencySeconds = status?.lastLatencySeconds
        mac = real.mac?.description
        port = real.port
    }

    enum CodingKeys: String, CodingKey {
        case service, address, weight, state, backup, since, lastCheck, lastPassed, lastError, lastLatencySeconds, mac, port
    }

    /// `ok 1.2 ms`, `failed: connect refused`, or `-` before any check.
    var lastCheckSummary: String {
        guard let lastPassed else { return "-" }
        if lastPassed {
            return "ok" + (lastLatencySeconds.map { String(format: " %.1f ms", $0 * 1000) } ?? "")
        }
        return "failed: \(lastError ?? "?")"
    }
}

/// `5s ago`, `3m ago`, `2h ago`.
func ago(_ date: Date) -> String {
    let seconds = max(0, Int(Date().timeIntervalSince(date)))
    if seconds < 120 { return "\(seconds)s ago" }
    if seconds < 7200 { return "\(seconds / 60)m ago" }
    return "\(seconds / 3600)h ago"
}

private func setDisabled(_ global: GlobalOptions, _ target: RealCommand.Target, _ disabled: Bool) throws {
    try modifyReal(global, target) { service, index in service.reals[index].disabled = disabled }
}

private func modifyService(_ global: GlobalOptions, _ name: String, _ body: (inout VirtualService) throws -> Void) throws {
    try global.controller().update { config in
        guard let index = config.services.firstIndex(where: { $0.name == name }) else {
            throw unknownService(name, in: config)
        }
        try body(&config.services[index])
    }
}

private func modifyReal(_ global: GlobalOptions, _ target: RealCommand.Target, _ body: (inout VirtualService, Int) throws -> Void) throws {
    try modifyService(global, target.service) { service in
        guard let index = service.reals.firstIndex(where: { $0.address == target.address }) else {
            let known = service.reals.map(\.address.description).joined(separator: ", ")
            throw CLIError("\(target.address) is not a real server of \(target.service)\(known.isEmpty ? "" : "; its reals: \(known)")")
        }
        try body(&service, index)
    }
}

/// The nat/gateway rules for a real added on the command line, said in its terms: a port only
/// where the balancer translates it, and an address of the VIP's family.
private func checkNATReal(_ service: VirtualService, address: IPAddress, port: UInt16?) throws {
    if service.mode.isNAT, address.isV4 != service.vip.isV4 {
        throw CLIError("\(address) is \(address.familyName) and \(service.name)'s VIP \(service.vip) is \(service.vip.familyName); "
            + "a \(service.mode.rawValue) service translates within one family")
    }
    guard let port else { return }
    if !service.mode.isNAT {
        throw CLIError("--port \(port): \(service.name) is a \(service.mode.rawValue) service, whose reals answer from the VIP's port "
            + "(\(service.key.port == 0 ? "each client's" : String(service.port))); only nat and gateway services translate ports")
    }
    if service.port == 0 {
        throw CLIError("--port \(port): \(service.name) serves every port, and each client keeps its destination port; "
            + "leave --port out, or use a service of one port")
    }
}

private func validateWeight(_ weight: UInt32, option: String) throws {
    if let problem = ConfigValidator.weightProblem(Int(weight)) {
        throw ValidationError("\(option): \(problem) (0 drains the real; 1000 is the largest share)")
    }
}
