import UsherBPF
import UsherCore

/// The label text of every real's series (`service="web",real="198.51.100.11"`), built once and
/// kept while the services and their reals stay the same: for 100,000 reals, making it costs
/// more than writing the million samples that use it.
struct RealLabels: Sendable {
    /// Each service's name and key, and its reals' addresses, in config order: what the text
    /// was made from.
    private let names: [String]
    private let keys: [ServiceKey]
    private let addresses: [IPAddress]
    /// Real i's text is `bytes[starts[i]..<starts[i + 1]]`, the reals of every service in order.
    let bytes: [UInt8]
    let starts: [Int]
    /// The position of each service's first real (one more entry: the end).
    let firstReal: [Int]
    /// A real's position by service key and address (the first listed when one repeats).
    private let positions: [ServiceKey: [IPAddress: Int]]

    init(_ services: [VirtualService]) {
        var bytes: [UInt8] = [], starts = [0], firstReal = [0], addresses: [IPAddress] = []
        var positions: [ServiceKey: [IPAddress: Int]] = [:]
        for service in services {
            var own = positions[service.key] ?? [:]
            for real in service.reals {
                if own[real.address] == nil { own[real.address] = addresses.count }
                addresses.append(real.address)
                bytes += PrometheusText.labels(["service": service.name, "real": real.address.description])
                starts.append(bytes.count)
            }
            positions[service.key] = own
            firstReal.append(addresses.count)
        }
        names = services.map(\.name)
        keys = services.map(\.key)
        self.addresses = addresses
        self.bytes = bytes
        self.starts = starts
        self.firstReal = firstReal
        self.positions = positions
    }

    /// Whether `services` have the names, keys and reals this text was made from.
    func fits(_ services: [VirtualService]) -> Bool {
        guard services.count == names.count else { return false }
        for (i, service) in services.enumerated() {
            guard service.name == names[i], service.key == keys[i],
                  service.reals.count == firstReal[i + 1] - firstReal[i] else { return false }
            var position = firstReal[i]
            for real in service.reals {
                guard real.address == addresses[position] else { return false }
                position += 1
            }
        }
        return true
    }

    var count: Int { addresses.count }

    /// The data plane's id of each real's membership, by position (nil: not in the maps).
    func realIDs(in reals: [DataplaneState.Real]) -> [UInt32?] {
        var ids = [UInt32?](repeating: nil, count: addresses.count)
        for real in reals {
            if let position = positions[real.service]?[real.address], ids[position] == nil { ids[position] = real.id }
        }
        return ids
    }
}
