import Foundation

/// A network namespace of the lab, uniquely named, removed (with its interfaces) on `remove()`.
/// Code runs inside it on a thread of its own that enters it with setns(2), so the rest of the
/// test process stays in the root namespace.
final class LabNamespace: @unchecked Sendable {
    let name: String
    let suffix: String

    init(_ prefix: String = "ut") throws {
        suffix = String(UInt32.random(in: 0...UInt32.max) % 0xFFFFFF, radix: 16)
        name = "usher-\(prefix)-\(suffix)"
        try Shell.run("ip", "netns", "add", name)
    }

    func remove() {
        _ = try? Shell.run("ip", "netns", "del", name)
    }

    /// Runs `ip -n NAME ARGS`.
    func ip(_ arguments: String...) throws {
        try Shell.run(["ip", "-n", name] + arguments)
    }

    /// Runs `body` on a fresh thread that has entered this namespace, and returns its result.
    /// The caller waits for it, so `body` may use the caller's values without sharing them.
    func run<T>(_ body: @escaping () throws -> T) throws -> T {
        let box = ResultBox<T>(body)
        let path = "/run/netns/\(name)"
        let thread = Thread {
            box.result = Result {
                try Self.enter(path)
                return try box.body()
            }
            box.done.signal()
        }
        thread.start()
        box.done.wait()
        return try box.result!.get()
    }

    private static func enter(_ path: String) throws {
        typealias SetNS = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "setns") else { throw ShellError("setns is not in libc") }
        let setns = unsafeBitCast(symbol, to: SetNS.self)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ShellError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard setns(fd, 0x4000_0000 /* CLONE_NEWNET */) == 0 else {
            throw ShellError("setns \(path): \(String(cString: strerror(errno)))")
        }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    let body: () throws -> T
    init(_ body: @escaping () throws -> T) { self.body = body }
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)
}

struct ShellError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum Shell {
    @discardableResult
    static func run(_ arguments: String...) throws -> String { try run(arguments) }

    /// Runs a command (looked up in the usual sbin/bin directories); throws with its stderr
    /// when it fails; returns its stdout.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        let dirs = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        let path = dirs.map { "\($0)/\(arguments[0])" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? arguments[0]
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(arguments.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ShellError("\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(errors)")
        }
        return output
    }
}
