import Foundation

/// Runs commands for the tests that need the `usher` executable or the `ip` tool.
enum ProxyTestProcess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `usher` beside the test bundle (`swift build --build-tests` builds it), or USHER_BIN.
    static func usherPath() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["USHER_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("usher").path)
        }
        candidates.append(Bundle.main.bundleURL.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("usher").path)
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "the usher executable was not found (build with --build-tests, or set USHER_BIN); tried \(candidates)")
        }
        return found
    }

    /// Runs to completion (at most `timeout` seconds); returns (status, stdout, stderr).
    @discardableResult
    static func run(_ arguments: [String], timeout: Double = 20) throws -> (status: Int32, out: String, err: String) {
        let p = try start(arguments)
        let deadline = Date().addingTimeInterval(timeout)
        while p.process.isRunning, Date() < deadline { usleep(10_000) }
        if p.process.isRunning {
            p.process.terminate()
            p.process.waitUntilExit()
            throw Failure(description: "\(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        return (p.process.terminationStatus, p.output(), p.errors())
    }

    /// `ip ARGS`, which must succeed.
    static func ip(_ arguments: String...) throws {
        let r = try run(["/usr/sbin/ip"] + arguments)
        guard r.status == 0 else { throw Failure(description: "ip \(arguments.joined(separator: " ")): \(r.err)") }
    }

    final class Running: @unchecked Sendable {
        // @unchecked: Process and the pipes are only touched from the test's task.
        let process: Process
        private let out: Pipe
        private let err: Pipe

        init(process: Process, out: Pipe, err: Pipe) {
            self.process = process
            self.out = out
            self.err = err
        }

        func output() -> String { String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        func errors() -> String { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }

        /// SIGTERM, then waits (SIGKILL after `grace` seconds).
        func stop(grace: Double = 12) {
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(grace)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// Starts without waiting; output goes to pipes (read them after it ends), or to files.
    static func start(_ arguments: [String], stdout: String? = nil, stderr: String? = nil) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let out = Pipe(), err = Pipe()
        if let stdout {
            FileManager.default.createFile(atPath: stdout, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: stdout)
        } else {
            process.standardOutput = out
        }
        if let stderr {
            FileManager.default.createFile(atPath: stderr, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: stderr)
        } else {
            process.standardError = err
        }
        try process.run()
        return Running(process: process, out: out, err: err)
    }
}
