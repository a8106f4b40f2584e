/// One tracked flow as balancers exchange it (Docs/ARCHITECTURE.md, "Flow-state sync"): free of
/// everything that is local to one balancer — service and real ids, interface indexes, the
/// monotonic clock — so that a peer with the same config (but other ids) can write it.
/// Addresses are 16 bytes in network order, IPv4 in the first 4 (the rest zero), as in abi.h.
public struct FlowRecord: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        /// A usher_ct_v3 entry (dsr-l2, dsr-ipip): which real the flow stays on.
        case tracked = 1
        /// A usher_nat_v2 entry with its usher_natrev_v2 entry (nat, gateway): the translation
        /// and the reply tuple (SNAT address and port) it holds.
        case nat = 2
    }

    /// What a nat or gateway flow adds.
    public struct Translation: Hashable, Sendable {
        public var snatAddress: [UInt8]
        /// Ports here are in host order (the tables hold them in network order).
        public var snatPort: UInt16
        /// The destination port at the real.
        public var realPort: UInt16
        /// USHER_NAT_S_* the client sent, and the real sent.
        public var clientState: UInt8
        public var replyState: UInt8
        /// Milliseconds since the reply direction's last packet (at the sender, when sent).
        public var replyAgeMilliseconds: UInt32
        /// The client-side hop the replies go to (the MAC the client's frames came from).
        public var clientMAC: [UInt8]
        /// The interface the client's packets arrived by, by name (indexes differ per host).
        public var interface: String

        public init(snatAddress: [UInt8], snatPort: UInt16, realPort: UInt16, clientState: UInt8, replyState: UInt8,
                    replyAgeMilliseconds: UInt32, clientMAC: [UInt8], interface: String) {
            self.snatAddress = snatAddress
            self.snatPort = snatPort
            self.realPort = realPort
            self.clientState = clientState
            self.replyState = replyState
            self.replyAgeMilliseconds = replyAgeMilliseconds
            self.clientMAC = clientMAC
            self.interface = interface
        }
    }

    public var kind: Kind
    /// USHER_FAMILY_V4 or USHER_FAMILY_V6.
    public var family: UInt8
    /// IPPROTO_TCP or IPPROTO_UDP.
    public var proto: UInt8
    /// The flow as the client sent it (the key of usher_ct_v3 / usher_nat_v2).
    public var client: [UInt8]
    public var clientPort: UInt16
    public var vip: [UInt8]
    public var vipPort: UInt16
    /// The port of the flow's service key: the VIP port, or 0 for an every-port service.
    public var servicePort: UInt16
    /// The real server, as its service lists it: address and configured port (0: the client's).
    public var real: [UInt8]
    public var realConfiguredPort: UInt16
    /// Milliseconds since the flow's last packet (at the sender, when sent).
    public var ageMilliseconds: UInt32
    /// Set exactly when `kind` is `.nat`.
    public var translation: Translation?

    public init(kind: Kind, family: UInt8, proto: UInt8, client: [UInt8], clientPort: UInt16, vip: [UInt8], vipPort: UInt16,
                servicePort: UInt16, real: [UInt8], realConfiguredPort: UInt16, ageMilliseconds: UInt32,
                translation: Translation? = nil) {
        self.kind = kind
        self.family = family
        self.proto = proto
        self.client = client
        self.clientPort = clientPort
        self.vip = vip
        self.vipPort = vipPort
        self.servicePort = servicePort
        self.real = real
        self.realConfiguredPort = realConfiguredPort
        self.ageMilliseconds = ageMilliseconds
        self.translation = translation
    }
}
