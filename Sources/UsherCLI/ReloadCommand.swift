import ArgumentParser
import Foundation
import UsherCore
import UsherDaemon
import UsherProxy

/// `usher reload`: make the running daemon read its config file again.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running daemon read its config file again, and report how it went.",
        discussion: """
        Checks the file the daemon serves first: with any error it prints them (file:line:col: \
        field: what to do), exits 65 and the daemon is not disturbed. Otherwise it sends the \
        daemon SIGHUP and waits for its answer: the changes applied, or why it refused.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("How long to wait for the daemon's answer.", valueName: "seconds"))
    var timeout: Double = 30

    func validate() throws {
        guard (1...600).contains(timeout) else { throw ValidationError("--timeout must be between 1 and 600 seconds") }
    }

    func run() throws {
        try reportingErrors {
            guard let status = DaemonStatus.running(in: global.stateDirectory) else {
                throw CLIError("no usher daemon runs over \(global.stateDirectory); start one with `usher daemon -c FILE` " +
                    "(or `systemctl start usher`), or give the --state-dir it uses")
            }
            _ = try ConfigLoader.loadChecked(path: status.configPath) // errors: exit 65, the daemon untouched
            guard kill(status.pid, SIGHUP) == 0 else {
                throw CLIError("cannot signal the daemon (pid \(status.pid)): \(String(cString: strerror(errno)))")
            }
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let now = DaemonStatus.running(in: global.stateDirectory), now.generation > status.generation,
                   let reload = now.lastReload {
                    guard reload.ok else {
                        for error in reload.errors { printError(error) }
                        printError("usher: the daemon refused \(status.configPath); its running config stays")
                        throw ExitCode(ExitStatus.invalidConfig)
                    }
                    print(reload.changes.isEmpty ? "Reloaded \(status.configPath): no changes."
                          : "Reloaded \(status.configPath):\n" + reload.changes.joined(separator: "\n"))
                    return
                }
                usleep(50_000)
            }
            throw CLIError("the daemon (pid \(status.pid)) did not answer within \(Int(timeout)) s; see its log " +
                "(journalctl -u usher)")
        }
    }
}
