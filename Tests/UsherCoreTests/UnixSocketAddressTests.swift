import Foundation
import Testing
import UsherCore

/// Unix socket addresses: a path that does not fit sun_path is refused, an abstract name is sent
/// without its `@`, and a connect reaches a listener on the path.
@Suite struct UnixSocketAddressTests {
    @Test func aPathTooLongIsRefused() {
        #expect(UnixSocketAddress(String(repeating: "a", count: 108)) == nil)
        #expect(UnixSocketAddress("") == nil)
        #expect(UnixSocketAddress("/run/usher/api.sock") != nil)
    }

    @Test func anAbstractNameIsOnlyItsBytes() {
        let length = UnixSocketAddress("@notify", abstract: true)?.withSockaddr { $1 }
        #expect(length == socklen_t(MemoryLayout<sa_family_t>.size + 7))
        // Without `abstract`, "@" is an ordinary first character of a path.
        #expect(UnixSocketAddress("@notify")?.withSockaddr { $1 } == socklen_t(MemoryLayout<sockaddr_un>.size))
    }

    @Test func connectReachesAListener() throws {
        let path = NSTemporaryDirectory() + "usher-unix-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { unlink(path) }
        let address = try #require(UnixSocketAddress(path))
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        #expect(address.withSockaddr { bind(listener, $0, $1) } == 0)
        #expect(listen(listener, 1) == 0)
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        #expect(address.connect(client) == 0)
        let other = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(other) }
        #expect(UnixSocketAddress(path + ".none")!.connect(other) == -1 && errno == ENOENT)
    }
}
