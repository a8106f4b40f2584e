import Foundation
import Testing
@testable import UsherHA

/// keepalived's notify FIFO as the supervisor reads it: whole lines only, in order, a line cut
/// in two kept until its end arrives, and never an end-of-file while no writer has it open.
@Suite struct NotifyFIFOTests {
    @Test func linesArriveWholeAndInOrder() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("usher-fifo-\(getpid())").path
        defer { unlink(path) }
        let fifo = try NotifyFIFO(path: path)
        #expect(fifo.lines() == [])

        let writer = open(path, O_WRONLY | O_NONBLOCK)
        #expect(writer >= 0)
        func write(_ text: String) { _ = text.withCString { Glibc.write(writer, $0, strlen($0)) } }
        write("INSTANCE \"usher\" BACKUP 100\nINSTANCE \"usher\" MAS")
        #expect(fifo.lines() == ["INSTANCE \"usher\" BACKUP 100"])
        write("TER 100\n")
        #expect(fifo.lines() == ["INSTANCE \"usher\" MASTER 100"])

        // keepalived restarts: the writer goes away and a new one comes; nothing is lost.
        close(writer)
        #expect(fifo.lines() == [])
        let again = open(path, O_WRONLY | O_NONBLOCK)
        _ = "INSTANCE \"usher\" FAULT 0\n".withCString { Glibc.write(again, $0, strlen($0)) }
        close(again)
        #expect(fifo.lines() == ["INSTANCE \"usher\" FAULT 0"])
    }

    @Test func aPlainFileInItsPlaceIsReplaced() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("usher-fifo-file-\(getpid())").path
        defer { unlink(path) }
        try "not a fifo".write(toFile: path, atomically: true, encoding: .utf8)
        _ = try NotifyFIFO(path: path)
        var info = stat()
        #expect(lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        #expect(info.st_mode & 0o777 == 0o600)
    }
}
