import Foundation
import NIOPosix

/// An event loop group whose threads live in a network namespace of their own (made with
/// unshare(CLONE_NEWNET) on a dedicated thread, which the group's threads inherit), where
/// 192.0.2.2 is black-holed: a veth pair with 192.0.2.1/24 on one end and a permanent neighbour
/// entry for 192.0.2.2, an address nobody holds, so packets to it leave and are dropped — never
/// refused. The namespace has no name and disappears with its last thread.
enum PrivateNetwork {
    static let blackHole = "192.0.2.2"

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    static func blackHoleGroup() throws -> MultiThreadedEventLoopGroup {
        let result = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.value = Result { try enterAndSetUp() }
            done.signal()
            // Kept alive: the group's threads were made from here, in the namespace.
        }
        thread.start()
        guard done.wait(timeout: .now() + 20) == .success else { throw Unavailable(description: "namespace setup hung") }
        return try result.value!.get()
    }

    private static func enterAndSetUp() throws -> MultiThreadedEventLoopGroup {
        guard geteuid() == 0 else { throw Unavailable(description: "needs root for a network namespace") }
        typealias Unshare = @convention(c) (Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare") else {
            throw Unavailable(description: "no unshare() in libc")
        }
        let cloneNewNet: Int32 = 0x4000_0000
        guard unsafeBitCast(symbol, to: Unshare.self)(cloneNewNet) == 0 else {
            throw Unavailable(description: "unshare(CLONE_NEWNET) failed: \(String(cString: strerror(errno)))")
        }
        // system() forks from this thread, so `ip` runs in the new namespace.
        let setup = "ip link add v0 type veth peer name v1 && ip addr add 192.0.2.1/24 dev v0 && ip link set v0 up"
            + " && ip link set v1 up && ip link set lo up"
            + " && ip neigh replace \(blackHole) lladdr 02:00:00:00:00:02 dev v0 nud permanent"
        guard system(setup + " >/dev/null 2>&1") == 0 else { throw Unavailable(description: "cannot make a veth pair here") }
        return MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    private final class ResultBox: @unchecked Sendable {
        // Written once by the thread before the semaphore is signalled, read after.
        var value: Result<MultiThreadedEventLoopGroup, Error>?
    }
}
