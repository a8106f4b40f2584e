import Foundation

/// A listener of Tools/lab-listener.py (a syslog server that parses RFC 5424 strictly, a
/// webhook, an SMTP server) run on 127.0.0.1 for a test: its ports once it listens, and what it
/// received, one JSON object per message. `stop()` ends it and removes its files.
public final class ListenerProcess: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let directory: String
    public let outPath: String
    /// What it printed once listening: {"udp": P, "tcp": P} or {"port": P}.
    public let ports: [String: Int]
    private let process: Process

    /// Starts `lab-listener.py KIND ARGUMENTS --out FILE` and waits (up to 10 s) until it listens.
    public init(_ kind: String, _ arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("usher-listener-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        outPath = directory + "/out.jsonl"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tools/lab-listener.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, kind, "--out", outPath, "--deadline", "120"] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let reader = stdout.fileHandleForReading
        var line = Data()
        let deadline = Date(timeIntervalSinceNow: 10)
        while !line.contains(UInt8(ascii: "\n")), Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Int] else {
            process.terminate()
            throw Failure(description: "lab-listener.py \(kind) did not say where it listens: \(String(decoding: line, as: UTF8.self))")
        }
        ports = object
    }

    public var port: Int { ports["port"] ?? 0 }

    /// Every message received so far, oldest first.
    public func entries() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: outPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Waits up to `timeout` seconds for `count` messages; returns those there are.
    public func waitForEntries(_ count: Int, timeout: Double = 5) -> [[String: Any]] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var got = entries()
        while got.count < count, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            got = entries()
        }
        return got
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date(timeIntervalSinceNow: 3)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
