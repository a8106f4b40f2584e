import ArgumentParser
import Foundation

/// The root command: it only lists the subcommands.
public struct Usher: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "usher",
        abstract: "Usher: an XDP layer-4 load balancer and an L7/TLS proxy, with a Swift control plane.",
        discussion: """
        Tables live in BPF maps pinned under --pin-dir, so the data plane keeps forwarding when no \
        usher process runs and every invocation of this command is stateless. The last applied \
        configuration is kept under --state-dir.

        --pin-dir and --state-dir may be given before the subcommand too.

        Exit status: 0 success, 1 runtime failure, 64 bad usage, 65 invalid configuration.
        """,
        subcommands: [
            DaemonCommand.self,
            ReloadCommand.self,
            ApplyCommand.self,
            ServiceCommand.self,
            RealCommand.self,
            SNATPoolCommand.self,
            AttachCommand.self,
            DetachCommand.self,
            DecapCommand.self,
            StatsCommand.self,
            FlowsCommand.self,
            MapsCommand.self,
            StatusCommand.self,
            DebugCommand.self,
            ProxyCommand.self,
        ]
    )

    public init() {}

    /// Parses and runs the command line. `--pin-dir` and `--state-dir` given before the
    /// subcommand (`usher --pin-dir DIR apply …`) are accepted as well as after it: they are
    /// handed to the subcommand through their environment variables, which `GlobalOptions`
    /// reads as its defaults.
    public static func runCommandLine() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let leading: [String: String] = ["--pin-dir": "USHER_PIN_DIR", "--state-dir": "USHER_STATE_DIR"]
        while let first = arguments.first, first.hasPrefix("--") {
            let parts = first.split(separator: "=", maxSplits: 1).map(String.init)
            guard let variable = leading[parts[0]] else { break }
            let value: String
            if parts.count == 2 {
                value = parts[1]
                arguments.removeFirst()
            } else {
                guard arguments.count >= 2 else { break } // let the parser report the missing value
                value = arguments[1]
                arguments.removeFirst(2)
            }
            setenv(variable, value, 1)
        }
        if arguments.first == "help", let unknown = unknownHelpTopic(Array(arguments.dropFirst())) {
            FileHandle.standardError.write(Data("usher: help: \(unknown)\n".utf8))
            Foundation.exit(ExitStatus.usage)
        }
        await main(arguments)
    }

    /// `usher help WORD…`: what is wrong with the words when they name no command (the parser
    /// would print the overview and exit 0), nil when they do.
    static func unknownHelpTopic(_ words: [String]) -> String? {
        var children = Usher.configuration.subcommands
        var path = ["usher"]
        for word in words where !word.hasPrefix("-") {
            let names = children.map { commandName(of: $0) }
            guard let index = names.firstIndex(of: word) else {
                let known = names.isEmpty ? "it has no subcommands" : "its commands: " + names.joined(separator: ", ")
                return "'\(path.joined(separator: " "))' has no command '\(word)' (\(known))"
            }
            children = subcommands(of: children[index])
            path.append(word)
        }
        return nil
    }

    private static func commandName(of command: any ParsableCommand.Type) -> String { command._commandName }
    private static func subcommands(of command: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
        command.configuration.subcommands
    }
}
