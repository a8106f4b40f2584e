#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program started with posix_spawn in a process group of its own, its output discarded (or
/// appended to a file), so that it and every process it starts can be killed at once. Waiting never blocks: `poll`
/// reaps it with WNOHANG.
public struct ChildProcess: Sendable {
    public let pid: pid_t

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `path` with `arguments`, and `environment` added to this process's own; its
    /// standard output and error go to the end of `output` (created 0600) when given.
    public static func spawn(
        path: String, arguments: [String], environment: [String: String] = [:], output: String? = nil
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Nothing else of this process: a long-lived child (keepalived) must not hold the
        // daemon's listening sockets after the daemon is gone.
        closeInherited(&actions)
        if let output {
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group (pgid = its pid); signals back to their defaults, none blocked.
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var inherited: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                inherited[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        inherited.merge(environment) { _, new in new }

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = inherited.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw SpawnError(description: "cannot start \(path): \(String(cString: strerror(rc)))") }
        return ChildProcess(pid: pid)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc module
    /// does not declare it), looked up once.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    nonisolated(unsafe) private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// Has the child close every descriptor above 2: all at once where glibc can, else each one
    /// open now (as /proc/self/fd lists them).
    private static func closeInherited(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom {
            _ = closeFrom(&actions, 3)
            return
        }
        guard let directory = opendir("/proc/self/fd") else { return }
        let own = dirfd(directory)
        var open: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd > 2, fd != own { open.append(fd) }
        }
        closedir(directory)
        for fd in open { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    public enum Exit: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// The exit once the process has ended (reaping it); nil while it runs.
    public func poll() -> Exit? {
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        guard rc == pid else {
            // ECHILD: reaped already (cannot happen here) — report it as ended.
            return rc < 0 && errno == ECHILD ? .signaled(0) : nil
        }
        let low = status & 0x7f
        return low == 0 ? .exited((status >> 8) & 0xff) : .signaled(low)
    }

    /// SIGKILL to its whole process group.
    public func killGroup() {
        kill(-pid, SIGKILL)
    }

    /// Runs `path` to its end, waiting at most `timeout` seconds (then its group is killed):
    /// for tools that must not hang the caller, without Foundation.Process.
    public static func run(path: String, arguments: [String], timeout: Double, output: String? = nil) throws -> Exit {
        let child = try spawn(path: path, arguments: arguments, output: output)
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let deadline = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9 + timeout
        while true {
            if let exit = child.poll() { return exit }
            clock_gettime(CLOCK_MONOTONIC, &clock)
            if Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9 > deadline {
                child.killGroup()
                while child.poll() == nil { usleep(1000) }
                throw SpawnError(description: "\(path) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
            }
            usleep(2000)
        }
    }
}
