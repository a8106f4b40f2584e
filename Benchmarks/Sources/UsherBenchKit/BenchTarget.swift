/// A program the benchmark wrapper can run as the program under test.
public enum BenchTarget: String, Hashable, Sendable, CaseIterable, Codable {
    /// `usher_balance`, loaded against the data plane's pinned maps.
    case balancer
    /// `usher_floor`: parse Ethernet/IP/TCP, swap MACs, XDP_TX — the yardstick.
    case floor
    /// `usher_bench_empty`: nothing; wrapper plus this is the wrapper's own cost.
    case empty
    /// `usher_bench_probe`: records what each iteration saw (the harness's tests).
    case probe
}
