import UsherBPF
import UsherCore

/// One path through the XDP program, measured per packet (Docs/BENCHMARKS.md, part 1).
public struct XDPCostCase: Sendable {
    /// The kind of path, for the targets: established DSR ≤ 2.5× the floor, non-VIP ≤ 1.5×,
    /// first packet of a DSR flow ≤ 6×, of a nat or gateway flow (two inserts) ≤ 12×. NAT
    /// forward (an established nat/gateway flow) and NAT reply (a real's answer translated back
    /// to the client) have no target of their own.
    public enum Path: String, Codable, Sendable {
        case floor, nonVIP = "non-vip", firstPacket = "first-packet", established, drained, l7Pass = "l7-pass", noReal = "no-real"
        case natFirstPacket = "nat-first-packet", natForward = "nat-forward", natReply = "nat-reply"
    }

    /// Which flow each iteration carries.
    public enum Flow: String, Codable, Sendable {
        /// The same flow every iteration (tracked first when the setup says so).
        case same
        /// A flow never seen before, every iteration.
        case newEveryIteration = "new-every-iteration"
    }

    /// What is done once before the case is measured.
    public enum Setup: Sendable {
        case none
        /// One packet of the flow first, so that it is tracked.
        case warm
        /// The flow written to the connection-tracking table on this real of this service.
        case trackOn(service: ServiceKey, real: IPAddress)
        /// `frame` is a client's packet of a nat/gateway service: it goes through the program
        /// once (its flow starts, its SNAT port is reserved), and the case measures instead the
        /// real's answer to the frame the program sent (BenchFrames.reply(to:)).
        case replyToForward
    }

    /// The flow table a case runs on, when not the data plane's own (pinned, as `usher` makes
    /// it, fresh): a private one of kind `kind`, in `state`.
    public struct Table: Hashable, Codable, Sendable {
        public enum Kind: String, Codable, Sendable {
            /// The data plane's own layout (16 ways behind a line of tags, BPF/lib/conntrack.h).
            case product
            /// The 4-way set-associative array of the candidate usher_cand_sa
            /// (Benchmarks/BPF/usher_cand_sa.c), a million ways, no line of tags.
            case setAssociative = "set-associative"

            /// The candidate program that runs this table, nil for the balancer's.
            var candidate: XDPBench.Candidate? { self == .setAssociative ? .fourWay : nil }
        }

        public enum State: String, Codable, Sendable {
            /// As created: every way empty.
            case fresh
            /// The long-running state: a flow table full (every way another flow's:
            /// XDPBench.fillFlowTable, fillSetAssociative); NAT tables (LRU hashes) filled to
            /// capacity from every CPU, then emptied (XDPBench.ageNAT).
            case aged
        }

        public var kind: Kind
        public var state: State
        /// true: the NAT tables (forward and reply), private, of the product's flags (`kind` is
        /// .product); nil: the flow table.
        public var nat: Bool?

        public init(kind: Kind, state: State, nat: Bool? = nil) {
            self.kind = kind
            self.state = state
            self.nat = nat
        }
    }

    public var id: String
    public var title: String
    public var path: Path
    /// The table it runs on; nil: the data plane's own.
    public var table: Table?
    /// Measured to compare designs (issue 10's flow-table candidates): reported, but no target.
    public var candidate = false
    public var family: Int
    public var frame: [UInt8]
    public var target: BenchTarget
    public var flow: Flow
    public var setup: Setup
    public var verdict: XDPVerdict
    /// The verdict counter every packet must land in (nil for the floor, which counts nothing).
    public var reason: String?
    /// The flow event every packet must count (`ct_hit`, `ct_new`), if any.
    public var event: String?
    /// The destination MAC the output must carry, when the case is about which real is chosen.
    public var destinationMAC: MACAddress?
    /// The addresses and ports the output must carry, with valid checksums (a NAT reply: from
    /// the VIP to the client).
    public var delivers: BenchFrames.Endpoints?

    public init(id: String, title: String, path: Path, family: Int, frame: [UInt8], target: BenchTarget = .balancer,
                flow: Flow = .same, setup: Setup = .none, verdict: XDPVerdict, reason: String?, event: String? = nil,
                destinationMAC: MACAddress? = nil, delivers: BenchFrames.Endpoints? = nil, table: Table? = nil,
                candidate: Bool = false) {
        self.id = id
        self.title = title
        self.path = path
        self.family = family
        self.frame = frame
        self.target = target
        self.flow = flow
        self.setup = setup
        self.verdict = verdict
        self.reason = reason
        self.event = event
        self.destinationMAC = destinationMAC
        self.delivers = delivers
        self.table = table
        self.candidate = candidate
    }

    /// Whether the frame is a TCP SYN without ACK to a dsr service (Ethernet, IPv4 or IPv6, no
    /// VLAN tag or extension header, as BenchFrames builds them): Maglev places it and it makes
    /// no flow entry. NAT first packets are never SYNs here.
    var isBareSYN: Bool {
        guard frame.count > 54 else { return false }
        let ethertype = UInt16(frame[12]) << 8 | UInt16(frame[13])
        let (proto, l4) = ethertype == 0x0800 ? (frame[23], 14 + Int(frame[14] & 0x0F) * 4) : (frame[20], 54)
        guard ethertype == 0x0800 || ethertype == 0x86DD, proto == 6, frame.count > l4 + 13 else { return false }
        return frame[l4 + 13] & 0x12 == 0x02
    }

    /// How the wrapper varies the frame for this case.
    func variation() throws -> FlowVariation {
        flow == .same ? .none : try FlowVariation.sourceFlows(of: frame, count: nil)
    }
}

/// A path the harness will measure once its forwarding mode exists.
public struct PendingCase: Codable, Sendable {
    public var id: String
    public var title: String
    public var why: String
}
