import Foundation
import Testing

/// One test's own Usher: a unique pin directory under /sys/fs/bpf, a state directory and a
/// folder for config files, all removed by `remove()` (also on deinit, so a failing test
/// cleans up too). Every `usher` run gets `--pin-dir` and `--state-dir` pointing at them.
final class Sandbox {
    /// Where a command runs: this network namespace, or a fresh one with nothing in it.
    enum Network {
        case host
        /// `unshare -n`: only a loopback interface that is down, no routes.
        case empty
        /// `unshare -n` after running `setup` (sh) in the new namespace.
        case fresh(setup: String)
    }

    let pinDir: String
    let stateDir: String
    let workDir: String
    private var removed = false

    init() throws {
        let tag = String(UInt64.random(in: 0...UInt64(UInt32.max)), radix: 36)
        pinDir = "/sys/fs/bpf/usher-cli-\(tag)"
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("usher-cli-\(tag)")
        workDir = base.path
        stateDir = base.appendingPathComponent("state").path
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
    }

    deinit { remove() }

    /// Removes the pinned maps, the pin directory and the temporary folders.
    func remove() {
        guard !removed else { return }
        removed = true
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: pinDir)) ?? [] { unlink(pinDir + "/" + name) }
        rmdir(pinDir)
        try? fm.removeItem(atPath: workDir)
    }

    /// Writes a config file into the work folder and returns its path.
    func write(_ name: String, _ contents: String) throws -> String {
        let path = workDir + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `usher ARGS --pin-dir … --state-dir …` (without the two options when `globals`
    /// is false, for the root command, which takes none).
    func usher(_ arguments: String..., network: Network = .host, timeout: Double = 30) throws -> CLIResult {
        try usher(arguments, network: network, timeout: timeout)
    }

    func usher(_ arguments: [String], globals: Bool = true, network: Network = .host, timeout: Double = 30) throws -> CLIResult {
        let binary = try UsherBinary.path()
        let full = arguments + (globals ? ["--pin-dir", pinDir, "--state-dir", stateDir] : [])
        switch network {
        case .host:
            return try Subprocess.run(binary, full, timeout: timeout)
        case .empty:
            return try Subprocess.run("/usr/bin/unshare", ["-n", binary] + full, timeout: timeout)
        case .fresh(let setup):
            // sh -c SCRIPT usher ARGS…: the script sets up the namespace, then execs usher.
            let script = "set -e\n\(setup)\nexec \"$0\" \"$@\""
            return try Subprocess.run("/usr/bin/unshare", ["-n", "/bin/sh", "-c", script, binary] + full, timeout: timeout)
        }
    }

    /// Runs a command that must succeed (status 0, nothing on stderr) and returns its stdout.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try usher(arguments)
        guard result.status == 0 else {
            Issue.record("expected success: \(result)", sourceLocation: sourceLocation)
            throw Subprocess.Failure(description: "usher \(arguments.joined(separator: " ")) failed")
        }
        #expect(result.stderr == "", "nothing on stderr when all is well: \(result)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs a command that must succeed and parses its stdout as JSON.
    func json(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let result = try usher(arguments)
        guard result.status == 0 else {
            Issue.record("expected success: \(result)", sourceLocation: sourceLocation)
            throw Subprocess.Failure(description: "usher \(arguments.joined(separator: " ")) failed")
        }
        return try JSON.parse(result.stdout)
    }
}
