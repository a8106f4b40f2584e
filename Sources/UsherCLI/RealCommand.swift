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
                try modifyReal(global, target, remove: true)
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
                try modifyReal(global, target, .drain)
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
                try modifyReal(global, target, .weight(weight))
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
                try modifyReal(global, target, .disable)
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
                try modifyReal(global, target, .enable)
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
                let rows = services.flatMap { s in s.reals.map { RealView(service: s, $0, health: health) } }
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
                        + [String(r.weight), r.state.rawValue + (r.backup == true ? " (backup)" : "")]
                        + (checks ? [r.since.map(ago) ?? "-", r.lastCheckSummary] : []) + [r.mac ?? "(neighbour table)"])
                }
                print(rows.isEmpty ? "No real servers." : table.render())
            }
        }
    }
}

/// `5s ago`, `3m ago`, `2h ago`.
func ago(_ date: Date) -> String {
    let seconds = max(0, Int(Date().timeIntervalSince(date)))
    if seconds < 120 { return "\(seconds)s ago" }
    if seconds < 7200 { return "\(seconds / 60)m ago" }
    return "\(seconds / 3600)h ago"
}

private func modifyService(_ global: GlobalOptions, _ name: String, _ body: (inout VirtualService) throws -> Void) throws {
    try global.controller().update { config in
        guard let index = config.services.firstIndex(where: { $0.name == name }) else {
            throw unknownService(name, in: config)
        }
        try body(&config.services[index])
    }
}

/// Removes a real, or changes it: through the daemon when one runs (it applies, logs and
/// publishes the change itself), else directly (`Controller.change`, as the daemon does).
private func modifyReal(_ global: GlobalOptions, _ target: RealCommand.Target, remove: Bool = false,
                        _ change: RealChange = .drain) throws {
    let controller = global.controller()
    do {
        if remove {
            try controller.remove(real: target.address, of: target.service)
        } else if let daemon = DaemonClient.running(controller) {
            do {
                try daemon.change(real: target.address, of: target.service, change)
            } catch let failure as DaemonClient.Failure {
                // The daemon's API does not answer: the same change under the same lock; the
                // daemon follows the saved config within a second.
                printError("usher: warning: \(failure); changing the tables directly")
                try controller.change(real: target.address, of: target.service, change)
            }
        } else {
            try controller.change(real: target.address, of: target.service, change)
        }
    } catch let error as RealLookupError {
        throw CLIError(error.description)
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
