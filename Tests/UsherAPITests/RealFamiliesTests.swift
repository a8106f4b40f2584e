import Foundation
import Testing
@testable import UsherAPI
@testable import UsherBPF
import UsherControl
import UsherCore

/// The per-real families of /metrics, written on the fast path: the same lines the text
/// format's plain writer makes, and label text kept only while the reals stay the same.
@Suite struct RealFamiliesTests {
    static func service(_ name: String, port: UInt16, reals: [RealServer]) -> VirtualService {
        var service = VirtualService(name: name, vip: IPAddress("203.0.113.10")!, port: port, proto: .tcp, mode: .dsrL2, reals: reals)
        service.healthCheck = HealthCheck(kind: .tcp)
        return service
    }

    static let services = [
        service("web", port: 80, reals: [RealServer(address: IPAddress("198.51.100.11")!),
                                         RealServer(address: IPAddress("198.51.100.12")!, weight: 0)]),
        service("a\"b", port: 443, reals: [RealServer(address: IPAddress("2001:db8::11")!, weight: 3)]),
    ]

    static func health(downing address: String, latency: Double) -> [HealthTarget: RuntimeState.Entry] {
        var health: [HealthTarget: RuntimeState.Entry] = [:]
        for service in services {
            for real in service.reals {
                let target = service.healthTarget(of: real)
                var status = HealthStatus(state: real.address.description == address ? .down : .up, since: .now)
                status.lastLatencySeconds = latency
                health[target] = RuntimeState.Entry(target: target, status: status)
            }
        }
        return health
    }

    @Test func linesAreWhatThePlainWriterMakes() throws {
        let names = DataplaneState(services: [], reals: [
            .init(service: Self.services[0].key, serviceID: 1, address: IPAddress("198.51.100.11")!, id: 7,
                  mac: MACAddress("02:00:00:00:00:11")!, nextHop: nil),
        ])
        let stats = StatsSnapshot(reals: [7: RealStats(packets: 12_345_678_901, bytes: 10, newFlows: 0)])
        let families = RealFamilies(services: Self.services, health: Self.health(downing: "2001:db8::11", latency: 0.0012),
                                    labels: RealLabels(Self.services), names: names, stats: stats)
        #expect(families.serviceStates == [ServiceState.up, .down])
        let text = String(decoding: families.written(after: Array("head\n".utf8)), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "head")
        #expect(lines.contains(#"usher_real_state{service="web",real="198.51.100.11",state="up"} 1"#))
        #expect(lines.contains(#"usher_real_state{service="web",real="198.51.100.11",state="down"} 0"#))
        #expect(lines.contains(#"usher_real_state{service="web",real="198.51.100.12",state="draining"} 1"#))
        #expect(lines.contains(#"usher_real_state{service="a\"b",real="2001:db8::11",state="down"} 1"#))
        #expect(lines.filter { $0.hasPrefix("usher_real_state{") }.count == 3 * RealState.allCases.count)
        #expect(lines.contains(#"usher_real_weight{service="a\"b",real="2001:db8::11"} 3"#))
        #expect(lines.contains(#"usher_real_check_latency_seconds{service="web",real="198.51.100.11"} 0.0012"#))
        // Counters only for the real the data plane holds.
        #expect(lines.contains(#"usher_real_packets_total{service="web",real="198.51.100.11"} 12345678901"#))
        #expect(lines.filter { $0.hasPrefix("usher_real_packets_total{") }.count == 1)
        #expect(lines.contains("# TYPE usher_real_new_flows_total counter"))
    }

    @Test func withoutTheDataPlaneNoCounterFamilies() {
        let families = RealFamilies(services: Self.services, health: [:], labels: RealLabels(Self.services), names: nil, stats: nil)
        let text = String(decoding: families.written(after: []), as: UTF8.self)
        #expect(!text.contains("usher_real_packets_total"))
        // Not checked yet: up, as the first checks decide.
        #expect(text.contains(#"usher_real_state{service="web",real="198.51.100.11",state="up"} 1"#))
        #expect(!text.contains("usher_real_check_latency_seconds{"))
    }

    @Test func labelsAreKeptOnlyWhileTheRealsAreTheSame() {
        let labels = RealLabels(Self.services)
        #expect(labels.fits(Self.services))
        var drained = Self.services
        drained[0].reals[0].weight = 0
        #expect(labels.fits(drained))
        var added = Self.services
        added[1].reals.append(RealServer(address: IPAddress("2001:db8::12")!))
        #expect(!labels.fits(added))
        var renamed = Self.services
        renamed[0].name = "www"
        #expect(!labels.fits(renamed))
        var moved = Self.services
        moved[0].reals.swapAt(0, 1)
        #expect(!labels.fits(moved))
        #expect(!labels.fits(Array(Self.services.prefix(1))))
    }

    @Test func secondsAndDecimals() {
        func written(_ write: (inout RawWriter) -> Void) -> String {
            let bytes = [UInt8](unsafeUninitializedCapacity: 64) { buffer, count in
                var out = RawWriter(buffer.baseAddress!)
                write(&out)
                count = out.count
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(written { $0.decimal(0) } == "0")
        #expect(written { $0.decimal(UInt64.max) } == "18446744073709551615")
        #expect(written { $0.seconds(0.0012) } == "0.0012")
        #expect(written { $0.seconds(0.000001) } == "0.000001")
        #expect(written { $0.seconds(3) } == "3")
        #expect(written { $0.seconds(12.05) } == "12.05")
        #expect(written { $0.seconds(.nan) } == "NaN")
        #expect(Double(written { $0.seconds(2e15) }) == 2e15)
    }
}
