import Foundation
import Testing
import UsherCore

/// A process that ended but was not reaped yet is not running, though `kill(pid, 0)` finds it.
@Suite struct ProcessStateTests {
    @Test func aZombieIsNotRunning() throws {
        #expect(ProcessState.isRunning(getpid()))
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { argv.forEach { free($0) } }
        try #require(posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0)
        // Ended and not reaped: a zombie until waitpid.
        var zombie = false
        for _ in 0..<500 where !zombie {
            usleep(10_000)
            zombie = !ProcessState.isRunning(pid)
        }
        #expect(zombie, "the ended child still counts as running")
        #expect(kill(pid, 0) == 0, "kill(pid, 0) still finds the zombie")
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(!ProcessState.isRunning(pid))
        #expect(!ProcessState.isRunning(0))
    }
}
