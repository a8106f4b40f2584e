import Foundation

/// What one run of a command left behind: its exit status and both output streams.
struct CLIResult: CustomStringConvertible, Sendable {
    let command: [String]
    let status: Int32
    let stdout: String
    let stderr: String
    /// Wall-clock time of the run.
    let seconds: Double

    /// stderr split into lines, without the empty last one.
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }

    /// For failure messages: the command line, its status and its output.
    var description: String {
        "`\(command.joined(separator: " "))` exited \(status) after \(String(format: "%.2f", seconds)) s\n"
            + "--- stdout\n\(stdout)--- stderr\n\(stderr)---"
    }
}
