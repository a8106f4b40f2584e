/// What part 5 writes to `Docs/bench/results/proxy.json`: per scenario and proxy, requests per
/// second, latency and the CPU time of each side, with the side that was the bottleneck;
/// Usher's ratios to the peers; the targets; and where Usher's time goes when it is behind.
public struct ProxyResult: Codable, Sendable {
    /// The four kinds of load.
    public enum Scenario: String, Codable, CaseIterable, Sendable {
        case httpKeepAlive = "http-keep-alive"
        case httpClose = "http-close"
        case tlsKeepAlive = "tls-keep-alive"
        case tlsHandshake = "tls-handshake"

        public var title: String {
            switch self {
            case .httpKeepAlive: "HTTP, keep-alive"
            case .httpClose: "HTTP, a new connection per request"
            case .tlsKeepAlive: "TLS 1.3, keep-alive"
            case .tlsHandshake: "TLS 1.3, a handshake per request"
            }
        }

        public var tls: Bool { self == .tlsKeepAlive || self == .tlsHandshake }
        public var closes: Bool { self == .httpClose || self == .tlsHandshake }
        /// The target (requests per second per core at least HAProxy's) covers these.
        public var hasTarget: Bool { self != .httpClose }
    }

    /// Which side used up its core in a run.
    public enum Bottleneck: String, Codable, Sendable {
        /// The proxy under test at ≥ 85% of its core: the figure is the proxy's.
        case proxy
        /// wrk at ≥ 85% of its core: the figure is the client's limit, not the proxy's.
        case wrk
        /// CPU 0 ≥ 90% busy, mostly with wrk and the reals: the client side's limit.
        case clientCore = "client-core"
        /// Other work than ours took ≥ 25% of a core on CPU 0 or CPU 1: noise, the figure says little.
        case sharedMachine = "shared-machine"
        /// Nothing saturated: latency-bound (connections × round trip).
        case none
        /// Both CPUs ≥ 90% busy with our programs (the two-core runs, where the proxy, wrk and
        /// the reals share them): the machine's limit, which the cheaper proxy leaves more of
        /// to the others.
        case machine

        /// From each side's share of a core over the run. `clientCore`/`proxyCore`: how busy
        /// CPU 0 and CPU 1 were with every process (ours and others').
        public static func of(proxy: Double, wrk: Double, reals: Double, clientCore: Double, proxyCore: Double) -> Bottleneck {
            if proxy >= 0.85 { return .proxy }
            if wrk >= 0.85 { return .wrk }
            if clientCore - wrk - reals >= 0.25 || proxyCore - proxy >= 0.25 { return .sharedMachine }
            if clientCore >= 0.9 { return .clientCore }
            return .none
        }

        /// For the two-core runs: `ours` is the proxy's, wrk's and the reals' CPU together (in cores).
        public static func onBothCores(ours: Double, cpu0: Double, cpu1: Double) -> Bottleneck {
            if cpu0 + cpu1 - ours >= 0.25 { return .sharedMachine }
            if cpu0 >= 0.9 && cpu1 >= 0.9 { return .machine }
            return .none
        }
    }

    /// One wrk run against one proxy, with each side's CPU use as a share of one core over it.
    public struct Sample: Codable, Sendable {
        public var round: Int
        public var wrk: ProxyWrkOutput
        public var wallSeconds: Double
        public var proxyCpu: Double
        public var wrkCpu: Double
        public var realsCpu: Double
        /// Busy share of CPU 0 (wrk and reals) and CPU 1 (the proxy) from /proc/stat: every
        /// process's, ours and the other work on the machine.
        public var cpu0Busy: Double
        public var cpu1Busy: Double
        public var bottleneck: Bottleneck
        /// Requests per second of the proxy's own CPU time (requests / proxy CPU seconds).
        public var requestsPerProxyCpuSecond: Double
    }

    /// A scenario and a proxy over every round.
    public struct Row: Codable, Sendable {
        public var scenario: Scenario
        public var proxy: ProxyPeers.Kind
        public var requestsPerSecond: Summary
        public var p50Ms: Summary
        public var p99Ms: Summary
        public var requestsPerProxyCpuSecond: Summary
        public var proxyCpu: Summary
        public var wrkCpu: Summary
        public var realsCpu: Summary
        public var cpu0Busy: Summary
        public var cpu1Busy: Summary
        /// The bottleneck of most rounds, and how many rounds had it.
        public var bottleneck: Bottleneck
        public var bottleneckRounds: Int
        public var errors: Int
        public var non2xx: Int
        public var samples: [Sample]
    }

    /// Usher's figure divided by a peer's, round by round (the runs of a round are back to back).
    public struct Ratio: Codable, Sendable {
        public var scenario: Scenario
        public var peer: ProxyPeers.Kind
        public var requestsPerSecond: Summary
        public var requestsPerProxyCpuSecond: Summary
    }

    /// "Proxy requests per second per core at least HAProxy's": compared on requests per
    /// second of the proxy's CPU time, which is the per-core figure whether or not the proxy
    /// saturated its core.
    public struct Target: Codable, Sendable {
        public var scenario: Scenario
        public var usher: Double
        public var haproxy: Double
        public var met: Bool
        /// Whether both proxies were the bottleneck in most rounds (else the figure says less).
        public var proxyBound: Bool
    }

    /// The negotiated TLS of each proxy (openssl s_client) and what it answered.
    public struct Check: Codable, Sendable {
        public var proxy: ProxyPeers.Kind
        public var tlsProtocol: String
        public var cipher: String
        public var realsSeen: [String]
    }

    /// `perf record -g` on Usher's process while wrk runs a scenario against it.
    public struct Profile: Codable, Sendable {
        public struct Entry: Codable, Sendable {
            public var name: String
            public var percent: Double
        }

        public var scenario: Scenario
        public var seconds: Int
        public var samples: Int
        public var byLibrary: [Entry]
        public var bySymbol: [Entry]
    }

    /// System calls the proxy made per request over one run (`ProxySyscalls`).
    public struct SyscallCount: Codable, Sendable {
        public var scenario: Scenario
        public var proxy: ProxyPeers.Kind
        public var requests: Int
        public var syscalls: Int
        public var perRequest: Double
    }

    public var rounds: Int
    public var seconds: Int
    public var connections: Int
    public var reals: Int
    public var bodyBytes: Int
    public var versions: [String: String]
    public var checks: [Check] = []
    public var rows: [Row] = []
    public var ratios: [Ratio] = []
    public var targets: [Target] = []
    public var syscalls: [SyscallCount] = []
    public var profiles: [Profile] = []
    /// The same loads with two workers per proxy, everything sharing both CPUs (nil in results
    /// of older runs).
    public var twoCores: TwoCores?

    /// Two workers on two cores: Usher's `--threads 2` against HAProxy's `nbthread 2` and
    /// nginx's `worker_processes 2`, with wrk (two threads) and the reals on the same two CPUs.
    public struct TwoCores: Codable, Sendable {
        public var scenarios: [Scenario]
        public var rows: [Row] = []
        public var ratios: [Ratio] = []
        public var targets: [TwoCoreTarget] = []
    }

    /// "With 2 threads on 2 cores at least HAProxy's `nbthread 2`; p99 latency at 50
    /// connections no worse than HAProxy's": requests per second and p99, medians over rounds.
    public struct TwoCoreTarget: Codable, Sendable {
        public var scenario: Scenario
        public var usherRequestsPerSecond: Double
        public var haproxyRequestsPerSecond: Double
        public var usherP99Ms: Double
        public var haproxyP99Ms: Double
        public var requestsMet: Bool
        public var p99Met: Bool
    }
}
