import Foundation
import UsherBPF
import UsherCore

/// Next hops from a table, counting the questions; an address not in the table fails the way
/// a real resolution failure does.
final class FixedResolver: NeighborResolving, @unchecked Sendable {
    var hops: [IPAddress: NextHop]
    private(set) var asked: [IPAddress] = []

    init(_ hops: [IPAddress: NextHop] = [:]) {
        self.hops = hops
    }

    func nextHop(for address: IPAddress) throws -> NextHop {
        asked.append(address)
        guard let hop = hops[address] else {
            throw BPFError(call: "resolve next hop", subject: "real \(address)", message: "no neighbour (test)")
        }
        return hop
    }

    /// A next hop on a made-up interface with MACs derived from `n`.
    static func hop(_ n: UInt8, ifindex: UInt32 = 7) -> NextHop {
        NextHop(ifindex: ifindex, interface: "lab\(ifindex)",
                mac: MACAddress(bytes: [0x02, 0, 0, 0, 0x10, n])!,
                sourceMAC: MACAddress(bytes: [0x02, 0, 0, 0, 0x20, n])!)
    }
}

func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func mac(_ text: String) -> MACAddress { MACAddress(text)! }
