import Foundation

/// curl as an independent client: runs it (at most `--max-time` seconds), returns what it
/// wrote to stdout (with `-w`, the write-out at the end).
enum Curl {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") }

    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--show-error", "--max-time", "10"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "curl \(arguments.joined(separator: " ")) exited \(process.terminationStatus): "
                + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }
}
