import NIOCore
import NIOEmbedded
import Testing
import UsherCore
@testable import UsherProxy

/// The per-loop pool of idle connections to real servers, on embedded channels: most recently
/// used first, a connection the real closes leaves it whether it was given back once or many
/// times, and the per-member cap holds.
@Suite struct UpstreamConnectionPoolTests {
    let loop = EmbeddedEventLoop()
    let member: PoolMemberRuntime

    init() throws {
        member = try PoolMemberRuntime(index: 0, member: PoolMember(address: .v4(192, 0, 2, 10), port: 8080), poolName: "p")
    }

    func makeConnection() throws -> UpstreamConnection {
        let channel = EmbeddedChannel(loop: loop)
        let handler = UpstreamHandler(), meter = UpstreamReadMeter()
        try channel.pipeline.syncOperations.addHandler(meter)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.10", port: 8080)).wait()
        return UpstreamConnection(channel: channel, handler: handler, meter: meter, member: member)
    }

    /// A pool holding two idle connections, `a` given back before `b`.
    func twoIdle(cap: Int = 4) throws -> (UpstreamConnectionPool, a: UpstreamConnection, b: UpstreamConnection) {
        let pool = UpstreamConnectionPool(loop: loop, maximumIdlePerMember: cap, idleTimeout: .seconds(60))
        let (a, b) = (try makeConnection(), try makeConnection())
        pool.release(a)
        pool.release(b)
        return (pool, a, b)
    }

    @Test func mostRecentlyUsedComesBackFirst() throws {
        let (pool, a, b) = try twoIdle()
        #expect(pool.take(for: member) === b)
        #expect(pool.take(for: member) === a)
        #expect(pool.take(for: member) == nil)
    }

    /// Given back, taken and given back again many times (its close hook is set once): when
    /// the real closes it, it leaves the pool, and the other one stays.
    @Test func aConnectionTheRealClosesLeavesThePoolAfterManyReuses() throws {
        let pool = UpstreamConnectionPool(loop: loop, maximumIdlePerMember: 4, idleTimeout: .seconds(60))
        let (a, b) = (try makeConnection(), try makeConnection())
        pool.release(b)
        for _ in 0..<5 {
            pool.release(a)
            #expect(pool.take(for: member) === a)
        }
        pool.release(a)
        #expect(pool.idleCount == 2)
        try a.channel.close().wait()
        #expect(pool.idleCount == 1)
        #expect(pool.take(for: member) === b)
        #expect(pool.take(for: member) == nil)
    }

    /// One in use when the real closes it is simply gone: the pool's lists are untouched.
    @Test func aConnectionClosedWhileInUseLeavesThePoolAlone() throws {
        let (pool, a, b) = try twoIdle()
        #expect(pool.take(for: member) === b)
        try b.channel.close().wait()
        #expect(pool.idleCount == 1)
        #expect(pool.take(for: member) === a)
    }

    @Test func theCapClosesTheConnectionsPastIt() throws {
        let (pool, a, b) = try twoIdle(cap: 1)
        #expect(pool.idleCount == 1)
        #expect(b.channel.isActive == false)
        #expect(pool.take(for: member) === a)
    }

    @Test func anIdleConnectionPastItsTimeoutIsClosed() throws {
        let pool = UpstreamConnectionPool(loop: loop, maximumIdlePerMember: 4, idleTimeout: .seconds(10))
        let a = try makeConnection()
        pool.release(a)
        loop.advanceTime(by: .seconds(11))
        #expect(!a.channel.isActive)
        #expect(pool.take(for: member) == nil)
    }
}
