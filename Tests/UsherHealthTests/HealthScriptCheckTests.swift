import Foundation
import NIOPosix
import Testing
import UsherCore
import UsherHealth

/// Script checks: the exit status decides, the real and service reach the script through its
/// environment, and a script that hangs is killed (its whole process group) at the timeout.
@Suite(.serialized) struct HealthScriptCheckTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Writes an executable shell script into a fresh directory.
    func script(_ body: String) throws -> (path: String, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("usher-script-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/check.sh"
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return (path, directory)
    }

    @Test func exitStatusDecidesAndTheEnvironmentNamesTheReal() async throws {
        let (path, directory) = try script("""
            echo "$USHER_SERVICE|$USHER_POOL|$USHER_REAL_ADDRESS|$USHER_REAL_PORT|$USHER_CHECK_ADDRESS|$USHER_CHECK_PORT|$1" > "$(dirname "$0")/env"
            exit "$2"
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let probe = EngineProbe(group: group)
        let target = HealthTarget(service: "web", pool: "app", address: .v4(198, 51, 100, 11), port: 80)

        let pass = try await probe.once(.script(ScriptCheck(path: path, arguments: ["first", "0"])), target: target)
        #expect(pass.lastPassed == true, "\(pass)")
        let env = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        #expect(env == "web|app|198.51.100.11|80|198.51.100.11|80|first\n")

        var check = HealthCheck(kind: .script(ScriptCheck(path: path, arguments: ["second", "1"])),
                                intervalSeconds: 2, timeoutSeconds: 1, rise: 1, fall: 1, address: .v4(127, 0, 0, 1), port: 9000)
        probe.engine.update([target: check])
        let fail = try await probe.waitFor(target, within: 6) { $0.lastCheck != nil }
        #expect(fail.lastPassed == false && fail.state == .down)
        #expect(fail.lastError == "script exited with status 1")
        let env2 = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        #expect(env2 == "web|app|198.51.100.11|80|127.0.0.1|9000|second\n")
        check.kind = .script(ScriptCheck(path: directory + "/missing.sh"))
        probe.engine.update([target: check])
        let missing = try await probe.waitFor(target, within: 6) { $0.lastError?.contains("missing.sh") == true }
        #expect(missing.lastError?.hasPrefix("cannot start") == true)
        await probe.engine.stop()
    }

    @Test func aHangingScriptIsKilledWithItsChildrenAtTheTimeout() async throws {
        // The script starts a child that would outlive it, and records both pids.
        let (path, directory) = try script("""
            sleep 30 &
            echo $! > "$(dirname "$0")/child"
            echo $$ > "$(dirname "$0")/parent"
            wait
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let probe = EngineProbe(group: group)
        let target = EngineProbe.target(port: 1)
        let started = Date()
        let status = try await probe.once(.script(ScriptCheck(path: path)), target: target, timeout: 0.5)
        let took = Date().timeIntervalSince(started)
        #expect(status.lastError == "script still running after 0.5s, killed")
        #expect(status.lastLatencySeconds.map { $0 >= 0.5 && $0 < 1.0 } == true, "\(String(describing: status.lastLatencySeconds))")
        #expect(took < 2.5, "the check ended about at its timeout (plus the first check's random delay up to 1s)")
        for name in ["parent", "child"] {
            let pid = pid_t(try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(pid > 0)
            // Gone within a second: killed (the parent reaped by the engine, the child by init).
            var alive = true
            for _ in 0..<100 where alive {
                alive = kill(pid, 0) == 0 && !Self.isZombie(pid)
                if alive { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(!alive, "\(name) \(pid) still runs")
        }
        await probe.engine.stop()
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
