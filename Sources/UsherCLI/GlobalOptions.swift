import ArgumentParser
import Foundation
import UsherControl

/// Where the data plane's pinned maps and the control plane's state live. Shared by every
/// command that touches either.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("pin-dir"), help: ArgumentHelp(
        "bpffs directory of the pinned maps (env USHER_PIN_DIR).", valueName: "path"))
    var pinDirectory: String = ProcessInfo.processInfo.environment["USHER_PIN_DIR"] ?? "/sys/fs/bpf/usher"

    @Option(name: .customLong("state-dir"), help: ArgumentHelp(
        "Directory of the last applied configuration (env USHER_STATE_DIR).", valueName: "path"))
    var stateDirectory: String = ProcessInfo.processInfo.environment["USHER_STATE_DIR"] ?? "/run/usher"
}

/// `--json` for commands whose output is data.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of a table.")
    var json = false
}

extension GlobalOptions {
    /// The control plane over these directories; warnings of an apply go to stderr. An apply
    /// that was killed half-way is completed or rolled back first (saying so on stderr), so that
    /// every command sees saved state and maps that agree.
    func controller() -> Controller {
        let controller = Controller(pinDirectory: pinDirectory, stateDirectory: stateDirectory,
                                    warn: { printError("usher: warning: \($0)") })
        do {
            try controller.recoverInterruptedApply()
        } catch {
            printError("usher: warning: an interrupted apply could not be recovered yet: \(error)")
        }
        return controller
    }
}
