import CLibBPF
import Foundation

/// Where libbpf's and libxdp's own messages go. By default they are kept (the last lines only)
/// so that a failure can quote them — the verifier's verdict, libbpf's reason for refusing a
/// pinned map — instead of spraying them over the CLI's output. With `USHER_DEBUG=1` in the
/// environment they are also printed to stderr as they come.
enum LibraryLog {
    /// Installs the print callbacks once per process.
    static func install() {
        _ = installed
    }

    /// Forgets what was collected, so that `tail()` after a call shows only that call's messages.
    static func reset() {
        buffer.reset()
    }

    /// The last collected lines (warnings and infos), oldest first, trimmed.
    static func tail(_ count: Int = 12) -> [String] {
        buffer.lines.suffix(count).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// `tail()` formatted to follow an error message, or "" when there is nothing.
    static func tailForMessage(_ count: Int = 12) -> String {
        let lines = tail(count)
        return lines.isEmpty ? "" : "\nlibbpf said:\n  " + lines.joined(separator: "\n  ")
    }

    static let debug: Bool = {
        guard let value = ProcessInfo.processInfo.environment["USHER_DEBUG"] else { return false }
        return !value.isEmpty && value != "0"
    }()

    fileprivate static let buffer = LineBuffer()

    private static let installed: Void = {
        _ = libbpf_set_print(libbpfPrint)
        _ = libxdp_set_print(libxdpPrint)
    }()

    fileprivate static func record(level: UInt32, format: UnsafePointer<CChar>?, args: CVaListPointer?) -> Int32 {
        guard let format, let args else { return 0 }
        // Debug-level messages are only useful when debugging; keep warnings and infos.
        let isDebugLevel = level == LIBBPF_DEBUG.rawValue
        if isDebugLevel && !debug { return 0 }
        // One message can be a whole verifier log, so format into a growing memory stream.
        var pointer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&pointer, &size) else { return 0 }
        let written = vfprintf(stream, format, args)
        fclose(stream)
        defer { free(pointer) }
        guard written >= 0, let pointer else { return 0 }
        let text = String(cString: pointer)
        if debug { FileHandle.standardError.write(Data(text.utf8)) }
        if !isDebugLevel { buffer.append(text) }
        return written
    }
}

private func libbpfPrint(_ level: libbpf_print_level, _ format: UnsafePointer<CChar>?, _ args: CVaListPointer?) -> Int32 {
    LibraryLog.record(level: level.rawValue, format: format, args: args)
}

private func libxdpPrint(_ level: libxdp_print_level, _ format: UnsafePointer<CChar>?, _ args: CVaListPointer?) -> Int32 {
    LibraryLog.record(level: level.rawValue, format: format, args: args)
}

/// The last lines the libraries printed, kept under a lock (libbpf may print from any thread).
private final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    private var partial = ""
    private let capacity = 200

    func append(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        partial += text
        while let newline = partial.firstIndex(of: "\n") {
            stored.append(String(partial[..<newline]))
            partial = String(partial[partial.index(after: newline)...])
        }
        if stored.count > capacity { stored.removeFirst(stored.count - capacity) }
    }

    func reset() {
        lock.lock()
        defer { lock.unlock() }
        stored.removeAll()
        partial = ""
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return partial.isEmpty ? stored : stored + [partial]
    }
}
