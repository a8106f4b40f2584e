import ArgumentParser
import UsherBPF
import UsherControl
import UsherCore

extension AttachProgram: ExpressibleByArgument {}

/// `usher attach IFACE`: put the balancer (or the lab's pass program) on an interface.
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Attach the XDP program to an interface.",
        discussion: """
        The balancer program uses the pinned maps, so attaching it to several interfaces gives one \
        set of tables. Attaching goes through libxdp, so it coexists with other XDP programs where \
        libxdp's dispatcher works; otherwise it takes the interface alone and refuses to replace a \
        program that is not Usher's. `--program pass` attaches a program that passes every frame: \
        a veth only receives what its peer sends with XDP_TX when it has an XDP program itself.
        """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "Interface name.") var interface: String
    @Option(help: "native (in the driver) or generic (skb path, slower).") var xdpMode: XDPMode = .native
    @Option(help: "balancer or pass.") var program: AttachProgram = .balancer

    func run() throws {
        try reportingErrors {
            let info = try global.controller().dataplane().attach(interface: interface, mode: xdpMode, program: program)
            if output.json { try printJSON(info) } else { print("Attached: \(info)") }
        }
    }
}

/// `usher detach IFACE`: remove Usher's program from an interface.
struct DetachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detach",
        abstract: "Detach Usher's XDP program from an interface (other programs stay).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Interface name.") var interface: String
    @Option(help: "balancer or pass.") var program: AttachProgram = .balancer

    func run() throws {
        try reportingErrors {
            let removed = try global.controller().dataplane().detach(interface: interface, program: program)
            print(removed ? "Detached \(program.programName) from \(interface)."
                          : "\(program.programName) was not attached to \(interface); nothing to do.")
        }
    }
}
