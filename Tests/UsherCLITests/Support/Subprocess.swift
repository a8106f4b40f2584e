import Foundation

/// Runs a program to completion with its output captured in files (no pipe can fill up and
/// stall it), killing it if it outlives `timeout`.
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> CLIResult {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("usher-cli-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
            throw Failure(description: "cannot create output files in \(scratch.path)")
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        let start = Date()
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run \(executable): \(error)")
        }
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if done.wait(timeout: .now() + 2) == .timedOut { kill(process.processIdentifier, SIGKILL); done.wait() }
        }
        try? out.close()
        try? err.close()
        let result = CLIResult(
            command: [executable] + arguments,
            status: process.terminationStatus,
            stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self),
            seconds: Date().timeIntervalSince(start))
        if timedOut { throw Failure(description: "timed out after \(timeout) s: \(result)") }
        return result
    }

    /// Runs a helper tool (ip, unshare, …) from the usual directories and insists it succeeds.
    @discardableResult
    static func tool(_ arguments: String...) throws -> CLIResult {
        let dirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        guard let path = dirs.map({ "\($0)/\(arguments[0])" }).first(where: FileManager.default.isExecutableFile) else {
            throw Failure(description: "\(arguments[0]) is not installed")
        }
        let result = try run(path, Array(arguments.dropFirst()))
        guard result.status == 0 else { throw Failure(description: "\(result)") }
        return result
    }
}
