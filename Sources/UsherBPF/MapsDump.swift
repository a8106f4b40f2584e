import UsherCore

/// The content of the maps, read back for people and scripts (`usher maps dump`).
public struct MapsDump: Hashable, Codable, Sendable {
    /// One entry of usher_vips_v2 with its Maglev table summarised.
    public struct VIP: Hashable, Codable, Sendable {
        /// `203.0.113.10:80/tcp`.
        public var service: String
        public var key: ServiceKey
        public var id: UInt32
        /// `dsr-l2`, `dsr-ipip`, `l7`, …
        public var mode: String
        /// `source-hash` when the service hashes on the client address only.
        public var flags: [String]
        /// nil when the outer slot holds no table.
        public var maglev: MaglevTable?
    }

    /// A service's Maglev table: its size and how many slots each real owns.
    public struct MaglevTable: Hashable, Codable, Sendable {
        /// Kernel id of the inner map.
        public var mapID: UInt32
        /// M, as written in slot 0.
        public var size: UInt32
        /// Slots naming no real (USHER_NO_REAL).
        public var emptySlots: UInt32
        /// Per real id, ordered by id.
        public var shares: [Share]
    }

    public struct Share: Hashable, Codable, Sendable {
        public var realID: UInt32
        /// The real's address, if the id is present in usher_reals_v3.
        public var address: IPAddress?
        public var slots: UInt32
        /// slots / M.
        public var fraction: Double
    }

    /// One present entry of usher_reals_v3: a real server as a member of one service.
    public struct Real: Hashable, Codable, Sendable {
        public var id: UInt32
        /// The service the entry belongs to (the id in usher_vips_v2).
        public var serviceID: UInt32
        public var address: IPAddress?
        public var dstMAC: MACAddress?
        public var srcMAC: MACAddress?
        /// 0 = sent back out of the interface it came in on (XDP_TX).
        public var ifindex: UInt32
    }

    /// One tracked flow of usher_ct_v3.
    public struct Flow: Hashable, Codable, Sendable {
        /// `198.51.100.7:40000`, `[2001:db8::7]:40000`.
        public var client: String
        public var vip: String
        public var proto: String
        public var realID: UInt32
        public var serviceID: UInt32
        /// Seconds since the flow was last seen (refreshed at most once a second).
        public var idleSeconds: Double
    }

    public struct Conntrack: Hashable, Codable, Sendable {
        /// Flows shown (at most `limit`).
        public var flows: [Flow]
        public var limit: Int
        /// True when there were more flows than `limit`.
        public var truncated: Bool
    }

    /// usher_global_v2.
    public struct Global: Hashable, Codable, Sendable {
        /// `198.51.100.64/26`: base address and the bits taken from the flow hash.
        public var encapSourceV4: String?
        public var encapSourceV6: String?
        /// USHER_GLOBAL_F_* (1 = some service is nat or gateway: ICMP errors are examined).
        public var flags: UInt32
        /// CPUs the SNAT ports are shared among (0 before the first apply that wrote it).
        public var nrCPUs: UInt32 = 0
        /// NAT timeouts in seconds: TCP idle, TCP closed, UDP idle.
        public var natTCPIdleSeconds: UInt32 = 0
        public var natTCPClosedSeconds: UInt32 = 0
        public var natUDPIdleSeconds: UInt32 = 0
    }

    /// One entry of usher_snat_v1.
    public struct SNATPool: Hashable, Codable, Sendable {
        /// The pool id (usher_service.snat_pool of its services).
        public var id: UInt32
        public var addresses: [IPAddress]
        /// `1024-65535`.
        public var ports: String
        /// usher_natrev_v2 entries (ports in use) per address, in the order of `addresses`.
        public var portsInUse: [Int]
    }

    /// usher_addrs_v1: how many slots carry each USHER_ADDR_F_* flag.
    public struct AddressFilter: Hashable, Codable, Sendable {
        /// Slots with any flag.
        public var slotsInUse: Int
        public var vipPort: Int
        public var vipAll: Int
        public var snat: Int
        public var gatewayReal: Int
    }

    /// The nat/gateway flows of usher_nat_v2 (with their reply sides, usher_natrev_v2).
    public struct NATFlows: Hashable, Codable, Sendable {
        public var flows: [NATFlow]
        public var limit: Int
        /// True when there were more flows than `limit`.
        public var truncated: Bool
    }

    /// One nat/gateway flow: the client's tuple and what the real sees.
    public struct NATFlow: Hashable, Codable, Sendable {
        /// `192.0.2.7:40000`.
        public var client: String
        public var vip: String
        public var proto: String
        /// `198.51.100.3:41873` as the real sees the source (gateway: the client).
        public var snat: String
        /// `198.51.100.11:8080`, or `#id:8080` when the real's entry is gone.
        public var real: String
        public var realID: UInt32
        public var serviceID: UInt32
        /// `established`, `fin-client`, `fin-real`, `closed`.
        public var state: String
        public var idleSeconds: UInt64
    }

    public var pinDirectory: String
    public var vips: [VIP]
    public var reals: [Real]
    public var conntrack: Conntrack
    public var global: Global
    public var snatPools: [SNATPool] = []
    public var addressFilter = AddressFilter(slotsInUse: 0, vipPort: 0, vipAll: 0, snat: 0, gatewayReal: 0)
    public var nat = NATFlows(flows: [], limit: 0, truncated: false)
}
