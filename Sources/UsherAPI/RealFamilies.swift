import UsherBPF
import UsherControl
import UsherCore

/// The per-real families of one scrape: 1,000 services × 100 reals make a million samples, so
/// each real's state, weight, last check and counters are gathered in one pass over the config
/// (no `RealView` per real), and the lines are copied from the kept label text into one buffer
/// sized beforehand.
struct RealFamilies {
    let labels: RealLabels
    private var states: [RealState] = []
    private var weights: [UInt32] = []
    /// The last check's duration in seconds; NaN for a real never checked.
    private var latencies: [Double] = []
    /// The data plane's counters; empty when it is not read.
    private var counters: [RealStats?] = []
    /// Each service's state, from its reals'.
    private(set) var serviceStates: [ServiceState] = []

    init(services: [VirtualService], health: [HealthTarget: RuntimeState.Entry], labels: RealLabels,
         names: DataplaneState?, stats: StatsSnapshot?) {
        self.labels = labels
        states.reserveCapacity(labels.count)
        weights.reserveCapacity(labels.count)
        latencies.reserveCapacity(labels.count)
        for service in services {
            var tally = ServiceState.Tally()
            for real in service.reals {
                let checked = service.healthCheck(of: real) != nil
                let status = checked ? health[service.healthTarget(of: real)]?.status : nil
                let state = RealState.of(real, checked: checked, status: status)
                tally.add(state, backup: real.backup)
                states.append(state)
                weights.append(real.weight)
                latencies.append(status?.lastLatencySeconds ?? .nan)
            }
            serviceStates.append(tally.state)
        }
        if let stats, let names {
            counters = labels.realIDs(in: names.reals).map { id in id.flatMap { stats.reals[$0] } }
        }
    }

    private static let stateName = Array("usher_real_state".utf8)
    private static let stateLabels = RealState.allCases.map { Array(",state=\"\($0.rawValue)\"".utf8) }
    private static let weightName = Array("usher_real_weight".utf8)
    private static let latencyName = Array("usher_real_check_latency_seconds".utf8)
    private static let counted: [([UInt8], @Sendable (RealStats) -> UInt64)] = [
        (Array("usher_real_packets_total".utf8), { $0.packets }),
        (Array("usher_real_bytes_total".utf8), { $0.bytes }),
        (Array("usher_real_new_flows_total".utf8), { $0.newFlows }),
    ]

    /// Each family's HELP and TYPE lines.
    private static let headers: (state: [UInt8], weight: [UInt8], latency: [UInt8], counted: [[UInt8]]) = {
        func header(_ name: String, _ kind: PrometheusText.Kind, _ help: String) -> [UInt8] {
            var text = PrometheusText(reserving: 256)
            text.family(name, kind, help)
            return text.bytes
        }
        return (header("usher_real_state", .gauge,
                       "1 for the state each real is in (up, down, draining, disabled, active = not checked), 0 for the others."),
                header("usher_real_weight", .gauge, "The weight the config gives each real (0 = draining)."),
                header("usher_real_check_latency_seconds", .gauge, "How long the real's last health check took."),
                [header("usher_real_packets_total", .counter, "Packets the data plane sent to the real, per service."),
                 header("usher_real_bytes_total", .counter, "Bytes of those packets."),
                 header("usher_real_new_flows_total", .counter, "New flows the real was chosen for, per service.")])
    }()

    /// `head` followed by every per-real family.
    func written(after head: [UInt8]) -> [UInt8] {
        let reals = labels.count
        let lines = reals * (RealState.allCases.count + 2 + Self.counted.count)
        let extras = reals * (Self.stateLabels.map(\.count).max() ?? 0) * RealState.allCases.count
        let headers = Self.headers.state.count + Self.headers.weight.count + Self.headers.latency.count
            + Self.headers.counted.reduce(0) { $0 + $1.count }
        let line = Self.latencyName.count + 4 + RawWriter.valueBound // the longest name, `{} ` and `\n`
        let capacity = head.count + headers + lines * line + extras
            + labels.bytes.count * (RealState.allCases.count + 2 + Self.counted.count)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var out = RawWriter(buffer.baseAddress!)
            head.withUnsafeBufferPointer { out.append($0) }
            labels.bytes.withUnsafeBufferPointer { arena in
                let starts = labels.starts
                func real(_ i: Int) -> UnsafeBufferPointer<UInt8> {
                    UnsafeBufferPointer(rebasing: arena[starts[i]..<starts[i + 1]])
                }
                Self.headers.state.withUnsafeBufferPointer { out.append($0) }
                Self.stateName.withUnsafeBufferPointer { name in
                    for i in 0..<reals {
                        for (j, state) in RealState.allCases.enumerated() {
                            Self.stateLabels[j].withUnsafeBufferPointer { extra in
                                out.sample(name, real(i), extra: extra, states[i] == state ? 1 : 0)
                            }
                        }
                    }
                }
                Self.headers.weight.withUnsafeBufferPointer { out.append($0) }
                Self.weightName.withUnsafeBufferPointer { name in
                    for i in 0..<reals { out.sample(name, real(i), UInt64(weights[i])) }
                }
                Self.headers.latency.withUnsafeBufferPointer { out.append($0) }
                Self.latencyName.withUnsafeBufferPointer { name in
                    for i in 0..<reals where !latencies[i].isNaN { out.sample(name, real(i), seconds: latencies[i]) }
                }
                guard !counters.isEmpty else { return }
                for (k, (name, value)) in Self.counted.enumerated() {
                    Self.headers.counted[k].withUnsafeBufferPointer { out.append($0) }
                    name.withUnsafeBufferPointer { name in
                        for i in 0..<reals {
                            guard let stats = counters[i] else { continue }
                            out.sample(name, real(i), value(stats))
                        }
                    }
                }
            }
            precondition(out.count <= capacity, "the metrics buffer was sized too small")
            initialized = out.count
        }
    }
}
