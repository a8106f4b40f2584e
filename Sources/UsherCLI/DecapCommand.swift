import ArgumentParser
import UsherBPF

/// `usher decap attach|detach IFACE`: the real-server side of dsr-ipip.
struct DecapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decap",
        abstract: "On a real server: strip IP-in-IP encapsulation (tc ingress).",
        discussion: """
        For dsr-ipip services when the real server's kernel has no ipip module. Packets of \
        protocol 4 (IPv4-in-IPv4) or next header 41 (IPv6-in-IPv6) arriving on the interface \
        lose their outer header and are delivered to the VIP the real holds on its loopback.
        """,
        subcommands: [Attach.self, Detach.self]
    )

    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Attach the decapsulation program.")
        @Argument(help: "Interface name.") var interface: String

        func run() throws {
            try reportingErrors {
                try Decap.attach(interface: interface)
                print("Decapsulating IP-in-IP on \(interface) (tc ingress).")
            }
        }
    }

    struct Detach: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Detach the decapsulation program.")
        @Argument(help: "Interface name.") var interface: String

        func run() throws {
            try reportingErrors {
                let removed = try Decap.detach(interface: interface)
                print(removed ? "Stopped decapsulating on \(interface)."
                              : "usher_decap was not attached to \(interface); nothing to do.")
            }
        }
    }
}
