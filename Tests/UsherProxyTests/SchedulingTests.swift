import NIOHTTP1
import Synchronization
import Testing
import UsherCore
@testable import UsherProxy

/// Member health the test decides.
final class FakeHealth: MemberHealthSource {
    let down = Mutex<Set<PoolMember>>([])
    func isUp(pool: String, member: PoolMember) -> Bool { !down.withLock { $0.contains(member) } }
    func set(_ member: PoolMember, up: Bool) { down.withLock { if up { $0.remove(member) } else { $0.insert(member) } } }
}

func member(_ last: UInt8, weight: UInt32 = 1, port: UInt16 = 8080) -> PoolMember {
    PoolMember(address: .v4(192, 0, 2, last), port: port, weight: weight)
}

func poolRuntime(_ pool: Pool, health: any MemberHealthSource = AlwaysUp()) throws -> PoolRuntime {
    try PoolRuntime(pool, health: health,
                    connector: UpstreamConnector(connectTimeout: .seconds(1), proxyProtocol: nil, tls: nil))
}

/// Picks `n` members and counts them by member index.
func spread(_ p: PoolRuntime, _ n: Int, affinity: (Int) -> UInt64? = { _ in nil }) -> [Int: Int] {
    var counts: [Int: Int] = [:]
    for i in 0..<n {
        if let m = p.choose(affinity: affinity(i)) { counts[m.index, default: 0] += 1 }
    }
    return counts
}

@Suite struct SmoothWeightedSequenceTests {
    @Test func interleavesLikeNginx() {
        // nginx's documented example: weights 5, 1, 1 → a a b a c a a.
        #expect(SmoothWeightedSequence(weights: [5, 1, 1]).slots == [0, 0, 1, 0, 2, 0, 0])
    }

    @Test func weightZeroNeverAppearsAndCommonDivisorsShrinkTheTable() {
        let s = SmoothWeightedSequence(weights: [200, 0, 100])
        #expect(s.slots == [0, 2, 0])
    }

    @Test func hugeWeightsStayBoundedAndProportional() {
        let s = SmoothWeightedSequence(weights: [4_000_000_000, 1_000_000_001, 7])
        #expect(s.slots.count <= SmoothWeightedSequence.maximumLength)
        let a = s.slots.filter { $0 == 0 }.count, b = s.slots.filter { $0 == 1 }.count
        #expect(abs(Double(a) / Double(b) - 4.0) < 0.05)
        #expect(s.slots.contains(2), "a tiny weight still gets a slot")
    }

    @Test func allZeroIsEmpty() {
        #expect(SmoothWeightedSequence(weights: [0, 0]).isEmpty)
    }
}

@Suite struct PoolSchedulingTests {
    @Test func roundRobinIsExactlyEvenAndIgnoresWeightsButNotDrain() throws {
        let p = try poolRuntime(Pool(name: "p", scheduler: .roundRobin,
                                     members: [member(1, weight: 5), member(2), member(3), member(4, weight: 0)]))
        #expect(spread(p, 300) == [0: 100, 1: 100, 2: 100])
    }

    @Test func weightedRoundRobinIsProportional() throws {
        let p = try poolRuntime(Pool(name: "p", scheduler: .weightedRoundRobin,
                                     members: [member(1, weight: 3), member(2, weight: 2), member(3, weight: 1)]))
        #expect(spread(p, 600) == [0: 300, 1: 200, 2: 100])
    }

    @Test func aDownMemberIsSkippedAndComesBack() throws {
        let health = FakeHealth()
        let p = try poolRuntime(Pool(name: "p", members: [member(1), member(2), member(3)]), health: health)
        health.set(member(2), up: false)
        let counts = spread(p, 300)
        #expect(counts[1] == nil)
        #expect(counts[0]! + counts[2]! == 300)
        health.set(member(2), up: true)
        #expect(spread(p, 300) == [0: 100, 1: 100, 2: 100])
    }

    @Test func noEligibleMemberIsNil() throws {
        let health = FakeHealth()
        let p = try poolRuntime(Pool(name: "p", members: [member(1), member(2, weight: 0)]), health: health)
        health.set(member(1), up: false)
        #expect(p.choose(affinity: nil) == nil)
        #expect(p.choose(affinity: 42) == nil)
    }

    @Test func excludingSkipsTheFailedMember() throws {
        let p = try poolRuntime(Pool(name: "p", members: [member(1), member(2)]))
        for _ in 0..<10 { #expect(p.choose(affinity: nil, excluding: 0)?.index == 1) }
    }

    @Test func leastConnectionsPrefersFewestPerWeightWithRotatingTies() throws {
        let p = try poolRuntime(Pool(name: "p", scheduler: .leastConnections,
                                     members: [member(1), member(2), member(3, weight: 2)]))
        p.members[0].active.store(3, ordering: .relaxed)
        p.members[1].active.store(1, ordering: .relaxed)
        p.members[2].active.store(4, ordering: .relaxed) // 4/2 = 2 per unit of weight
        #expect(p.choose(affinity: nil)?.index == 1)
        p.members[1].active.store(2, ordering: .relaxed) // ties 2/1 vs 4/2
        let picked = Set((0..<8).compactMap { _ in p.choose(affinity: nil)?.index })
        #expect(picked == [1, 2], "ties rotate in weighted order")
    }

    @Test func rendezvousKeepsKeysWhenAnotherMemberGoesDown() throws {
        let health = FakeHealth()
        let p = try poolRuntime(Pool(name: "p", members: (1...5).map { member($0) }), health: health)
        let keys = (0..<500).map { StableHash.of(Substring("client-\($0)")) }
        let before = keys.map { p.choose(affinity: $0)!.index }
        #expect(Set(before).count == 5)
        health.set(member(3), up: false) // index 2
        let after = keys.map { p.choose(affinity: $0)!.index }
        for (b, a) in zip(before, after) where b != 2 { #expect(a == b) }
        #expect(!after.contains(2))
    }

    @Test func rendezvousFollowsWeights() throws {
        let p = try poolRuntime(Pool(name: "p", members: [member(1, weight: 3), member(2, weight: 1)]))
        let counts = spread(p, 4000) { StableHash.of(Substring("k\($0)")) }
        let share = Double(counts[0]!) / 4000
        #expect(share > 0.70 && share < 0.80)
    }

    @Test func cookieIDsAreOpaqueStableAndPerMember() throws {
        let p = try poolRuntime(Pool(name: "p", members: [member(1), member(2)]))
        let q = try poolRuntime(Pool(name: "p", members: [member(1), member(2)]))
        #expect(p.members[0].cookieID == q.members[0].cookieID)
        #expect(p.members[0].cookieID != p.members[1].cookieID)
        #expect(!p.members[0].cookieID.contains("192"))
        #expect(p.member(cookieID: Substring(p.members[1].cookieID))?.index == 1)
        #expect(p.member(cookieID: "nonsense") == nil)
    }
}

@Suite struct AffinityDecisionTests {
    let pool = try! poolRuntime(Pool(name: "p", members: [member(1), member(2)]))

    func head(_ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders(headers))
    }

    @Test func headerAffinityHashesTheValueOrFallsBack() {
        let a = AffinityDecision.decide(.header("X-User"), pool: pool, head: head([("x-user", "alice")]), client: nil)
        #expect(a.decision == .hash(StableHash.of("alice")))
        let none = AffinityDecision.decide(.header("X-User"), pool: pool, head: head([]), client: nil)
        #expect(none.decision == .scheduler)
    }

    @Test func insertedCookieIsFollowedOrSet() {
        let id = pool.members[1].cookieID
        let hit = AffinityDecision.decide(.insertedCookie("LB"), pool: pool,
                                          head: head([("cookie", "a=1; LB=\(id); b=2")]), client: nil)
        #expect(hit.decision == .member(1) && !hit.insertCookie)
        let miss = AffinityDecision.decide(.insertedCookie("LB"), pool: pool, head: head([("cookie", "LB=zzz")]), client: nil)
        #expect(miss.decision == .scheduler && miss.insertCookie)
    }

    @Test func applicationCookieValueIsHashed() {
        let a = AffinityDecision.decide(.applicationCookie("JSESSIONID"), pool: pool,
                                        head: head([("cookie", "x=1"), ("cookie", "JSESSIONID=\"abc\"")]), client: nil)
        #expect(a.decision == .hash(StableHash.of("abc")))
    }

    @Test func sourceIPIgnoresThePort() throws {
        let a = AffinityDecision.decide(.sourceIP, pool: pool, head: head([]), client: try .init(ipAddress: "192.0.2.9", port: 1000))
        let b = AffinityDecision.decide(.sourceIP, pool: pool, head: head([]), client: try .init(ipAddress: "192.0.2.9", port: 2000))
        #expect(a.decision == b.decision)
        #expect(a.decision != .scheduler)
    }
}
