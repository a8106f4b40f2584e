import Glibc
import Logging
import NIOCore
import NIOPosix
import UsherCore
@testable import UsherProxy

/// Real servers and a started proxy on 127.0.0.1, torn down whatever the test does.
struct ProxyHarness: Sendable {
    let group: MultiThreadedEventLoopGroup
    let reals: [String: TestRealServer]
    let proxy: ProxyServer
    let addresses: [SocketAddress]

    var address: SocketAddress { addresses[0] }

    func real(_ name: String) -> TestRealServer { reals[name]! }

    func client(_ index: Int = 0) async throws -> TestHTTPClient {
        try await TestHTTPClient.connect(to: addresses[index], group: group)
    }

    func raw(_ chunks: [String], pause: TimeAmount = .zero, wait: TimeAmount = .seconds(3)) async throws -> RawReply {
        try await RawClient.exchange(chunks, pause: pause, to: address, group: group, wait: wait)
    }

    /// Complete requests all real servers received.
    var requestsAtReals: Int { reals.values.reduce(0) { $0 + $1.completedRequests } }
}

/// Starts real servers named `reals`, then a proxy for `services(reals)`, runs `body`, and
/// stops everything (also when `body` throws).
func withProxy(
    reals names: [String], threads: Int = 2, tuning: ProxyTuning = ProxyTuning(),
    services: ([String: TestRealServer]) -> [VirtualService],
    _ body: (ProxyHarness) async throws -> Void
) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    var reals: [String: TestRealServer] = [:]
    var proxy: ProxyServer?
    do {
        for n in names { reals[n] = try await TestRealServer.start(n, group: group) }
        let p = ProxyServer(services: services(reals), group: group, logger: testLogger, tuning: tuning)
        proxy = p
        let addresses = try await p.start()
        try await body(ProxyHarness(group: group, reals: reals, proxy: p, addresses: addresses))
    } catch {
        try? await proxy?.stop()
        for r in reals.values { await r.stop() }
        try? await group.shutdownGracefully()
        throw error
    }
    try? await proxy?.stop()
    for r in reals.values { await r.stop() }
    try? await group.shutdownGracefully()
}

let testLogger = Logger(label: "usher-proxy-test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Builders for the services the end-to-end tests run.
enum TestServices {
    static func member(_ real: TestRealServer, weight: UInt32 = 1) -> PoolMember {
        PoolMember(address: .v4(127, 0, 0, 1), port: real.port, weight: weight)
    }

    static func pool(_ name: String, _ reals: [TestRealServer], weights: [UInt32]? = nil,
                     scheduler: Scheduler = .roundRobin, affinity: Affinity = .none,
                     proxyProtocol: ProxyProtocolVersion? = nil,
                     connectTimeout: Double = 2, responseTimeout: Double = 10) -> Pool {
        Pool(name: name, scheduler: scheduler, affinity: affinity, proxyProtocol: proxyProtocol,
             members: reals.enumerated().map { member($0.element, weight: weights?[$0.offset] ?? 1) },
             connectTimeoutSeconds: connectTimeout, responseTimeoutSeconds: responseTimeout)
    }

    /// `defaultPool`: the first pool unless given; `noDefaultPool` for a service without one.
    static func http(_ name: String = "web", pools: [Pool], rules: [ContentRule] = [], defaultPool: String? = nil,
                     noDefaultPool: Bool = false,
                     limits: HTTPLimits = HTTPLimits(), forwardedHeaders: Bool = true,
                     requestHeaders: HeaderRewrite = .init(), responseHeaders: HeaderRewrite = .init(),
                     accessLog: AccessLogTarget = .none) -> VirtualService {
        VirtualService(
            name: name, vip: .v4(127, 0, 0, 1), port: 0, proto: .tcp, mode: .http,
            l7: L7Settings(limits: limits, forwardedHeaders: forwardedHeaders, requestHeaders: requestHeaders,
                           responseHeaders: responseHeaders, pools: pools, rules: rules,
                           defaultPool: noDefaultPool ? nil : defaultPool ?? pools.first?.name, accessLog: accessLog))
    }
}

/// A TCP port on 127.0.0.1 that refuses connections: bound (so no other test can take it while
/// this lives) but not listening. `close()` releases it.
final class RefusingPort: Sendable {
    let port: UInt16
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw TestClientError(description: "cannot bind a refusing port") }
        port = UInt16(bigEndian: address.sin_port)
    }

    var member: PoolMember { PoolMember(address: .v4(127, 0, 0, 1), port: port) }

    func close() { _ = Glibc.close(fd) }
}
