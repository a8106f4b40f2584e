import Foundation

/// A named network namespace of the lab (`ip netns add usher-cli-XXXX`) holding one veth pair,
/// removed with its interfaces by `remove()` (also on deinit). Commands run inside it with
/// `nsenter --net=`, which keeps /sys/fs/bpf (unlike `ip netns exec`).
final class LabNetns {
    let name: String
    let veth: (String, String) = ("ucli0", "ucli1")
    private var removed = false

    init() throws {
        name = "usher-cli-\(String(UInt32.random(in: 0...UInt32.max) % 0xFFFFFF, radix: 16))"
        try Subprocess.tool("ip", "netns", "add", name)
        do {
            try Subprocess.tool("ip", "-n", name, "link", "add", veth.0, "type", "veth", "peer", "name", veth.1)
            try Subprocess.tool("ip", "-n", name, "link", "set", veth.0, "up")
            try Subprocess.tool("ip", "-n", name, "link", "set", veth.1, "up")
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    func remove() {
        guard !removed else { return }
        removed = true
        _ = try? Subprocess.tool("ip", "netns", "del", name)
    }

    /// The `nsenter` prefix that runs a command inside.
    var enter: [String] { ["/usr/bin/nsenter", "--net=/run/netns/\(name)"] }
}

extension Sandbox {
    /// Runs `usher ARGS --pin-dir … --state-dir …` inside a lab namespace.
    func usher(in netns: LabNetns, _ arguments: String...) throws -> CLIResult {
        try usher(in: netns, arguments)
    }

    func usher(in netns: LabNetns, _ arguments: [String]) throws -> CLIResult {
        let binary = try UsherBinary.path()
        let full = netns.enter + [binary] + arguments + ["--pin-dir", pinDir, "--state-dir", stateDir]
        return try Subprocess.run(full[0], Array(full.dropFirst()))
    }
}
