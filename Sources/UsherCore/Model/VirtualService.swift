/// A virtual service: VIP + port + protocol, how it is balanced, and its real servers.
public struct VirtualService: Hashable, Sendable, Codable {
    public static let defaultMaglevTableSize: UInt32 = 65537

    /// Unique name, used by the CLI and in statistics.
    public var name: String
    public var vip: IPAddress
    /// 0 means every port of the VIP for this protocol.
    public var port: UInt16
    public var proto: TransportProtocol
    public var mode: ForwardingMode
    /// Size of the Maglev lookup table: a prime, larger than 100 × the number of reals.
    public var maglevTableSize: UInt32
    /// Hash on the client's address only, so a client keeps its real across ports.
    public var hashSourceOnly: Bool
    public var reals: [RealServer]
    /// For `http` and `https` services: how the proxy serves them (nil for L4 modes).
    public var l7: L7Settings?
    /// For `nat` services: the name of the SNAT pool (`BalancerConfig.snatPools`) whose
    /// addresses and ports the real servers see as the source (nil for every other mode).
    public var snatPool: String?
    /// How the reals of an L4 service are checked, unless a real has its own (`RealServer.healthCheck`);
    /// nil: they are not checked and count as up.
    public var healthCheck: HealthCheck?
    /// What happens to the tracked flows of a real that goes down.
    public var onDown: OnDownAction
    /// A real coming back up (or added) gets its weight in steps over this many seconds; 0: at once.
    public var slowStartSeconds: Double

    public init(
        name: String, vip: IPAddress, port: UInt16, proto: TransportProtocol, mode: ForwardingMode,
        maglevTableSize: UInt32 = VirtualService.defaultMaglevTableSize, hashSourceOnly: Bool = false,
        reals: [RealServer] = [], l7: L7Settings? = nil, snatPool: String? = nil,
        healthCheck: HealthCheck? = nil, onDown: OnDownAction = .keep, slowStartSeconds: Double = 0
    ) {
        self.name = name
        self.vip = vip
        self.port = port
        self.proto = proto
        self.mode = mode
        self.maglevTableSize = maglevTableSize
        self.hashSourceOnly = hashSourceOnly
        self.reals = reals
        self.l7 = l7
        self.snatPool = snatPool
        self.healthCheck = healthCheck
        self.onDown = onDown
        self.slowStartSeconds = slowStartSeconds
    }

    private enum CodingKeys: String, CodingKey {
        case name, vip, port, proto, mode, maglevTableSize, hashSourceOnly, reals, l7, snatPool
        case healthCheck, onDown, slowStartSeconds
    }

    /// Decodes a saved state; one written before health checks existed has none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        vip = try c.decode(IPAddress.self, forKey: .vip)
        port = try c.decode(UInt16.self, forKey: .port)
        proto = try c.decode(TransportProtocol.self, forKey: .proto)
        mode = try c.decode(ForwardingMode.self, forKey: .mode)
        maglevTableSize = try c.decode(UInt32.self, forKey: .maglevTableSize)
        hashSourceOnly = try c.decode(Bool.self, forKey: .hashSourceOnly)
        reals = try c.decode([RealServer].self, forKey: .reals)
        l7 = try c.decodeIfPresent(L7Settings.self, forKey: .l7)
        snatPool = try c.decodeIfPresent(String.self, forKey: .snatPool)
        healthCheck = try c.decodeIfPresent(HealthCheck.self, forKey: .healthCheck)
        onDown = try c.decodeIfPresent(OnDownAction.self, forKey: .onDown) ?? .keep
        slowStartSeconds = try c.decodeIfPresent(Double.self, forKey: .slowStartSeconds) ?? 0
    }

    /// The check of `real`: its own, else the service's; nil when it is not checked.
    public func healthCheck(of real: RealServer) -> HealthCheck? {
        real.healthCheck ?? healthCheck
    }

    /// What identifies the service to the data plane.
    public var key: ServiceKey { ServiceKey(vip: vip, port: port, proto: proto) }

    /// Reals that can take new flows (weight above zero).
    public var activeReals: [RealServer] { reals.filter { $0.weight > 0 } }
}

/// (VIP, port, protocol): the data plane's key of a virtual service.
public struct ServiceKey: Hashable, Sendable, Codable, CustomStringConvertible {
    public var vip: IPAddress
    public var port: UInt16
    public var proto: TransportProtocol

    public init(vip: IPAddress, port: UInt16, proto: TransportProtocol) {
        self.vip = vip
        self.port = port
        self.proto = proto
    }

    /// `203.0.113.10:80/tcp`, `[2001:db8::1]:443/tcp`, `203.0.113.10:*/udp`.
    public var description: String {
        let host = vip.isV4 ? "\(vip)" : "[\(vip)]"
        return "\(host):\(port == 0 ? "*" : String(port))/\(proto.rawValue)"
    }
}

public enum TransportProtocol: String, Hashable, Sendable, Codable, CaseIterable {
    case tcp
    case udp

    /// The IP protocol number.
    public var number: UInt8 { self == .tcp ? 6 : 17 }
}

/// How a virtual service reaches its real servers.
public enum ForwardingMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// Rewrite the destination MAC; the real holds the VIP on loopback and answers directly.
    case dsrL2 = "dsr-l2"
    /// Encapsulate IPv4-in-IPv4 / IPv6-in-IPv6; the real decapsulates and answers directly.
    case dsrIPIP = "dsr-ipip"
    /// Pass to the host stack, where the HTTP proxy listens.
    case http
    /// Pass to the host stack, where the TLS proxy listens.
    case https
    /// Full NAT ("single leg"): destination rewritten to the real, source to an address and port
    /// of the service's SNAT pool; replies come back to the balancer and are rewritten back.
    case nat
    /// Gateway NAT ("two leg"): destination rewritten to the real; the balancer is the reals'
    /// gateway and rewrites their replies back to the VIP. Reals see the client's address.
    case gateway

    /// Whether the XDP program forwards this mode itself (as opposed to passing it up).
    public var isLayer4: Bool { self == .dsrL2 || self == .dsrIPIP || isNAT }

    /// Whether the balancer rewrites addresses and sees the replies (nat, gateway).
    public var isNAT: Bool { self == .nat || self == .gateway }
}

/// A real server (backend) of a virtual service.
public struct RealServer: Hashable, Sendable, Codable {
    public var address: IPAddress
    /// Relative share of new flows; 0 means draining: no new flows, established ones continue.
    public var weight: UInt32
    /// Next-hop MAC given in the config; when nil it comes from the neighbour table.
    public var mac: MACAddress?
    /// `nat` and `gateway` services: the port the real listens on; nil keeps the port the
    /// client connected to (DSR modes cannot change it: the real answers from the VIP's port).
    public var port: UInt16?
    /// A sorry server: takes new flows only while every other real of the service is down.
    public var backup: Bool
    /// Taken out by an operator (`usher real disable`): out of rotation and its tracked flows
    /// dropped, whatever its health checks say, until enabled again.
    public var disabled: Bool
    /// This real's own check (the service's with this real's overrides), nil to use the service's.
    public var healthCheck: HealthCheck?

    public init(
        address: IPAddress, weight: UInt32 = 1, mac: MACAddress? = nil, port: UInt16? = nil,
        backup: Bool = false, disabled: Bool = false, healthCheck: HealthCheck? = nil
    ) {
        self.address = address
        self.weight = weight
        self.mac = mac
        self.port = port
        self.backup = backup
        self.disabled = disabled
        self.healthCheck = healthCheck
    }

    public var isDraining: Bool { weight == 0 }

    private enum CodingKeys: String, CodingKey {
        case address, weight, mac, port, backup, disabled, healthCheck
    }

    /// Decodes a saved state; one written before health checks existed has none of their fields.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        address = try c.decode(IPAddress.self, forKey: .address)
        weight = try c.decode(UInt32.self, forKey: .weight)
        mac = try c.decodeIfPresent(MACAddress.self, forKey: .mac)
        port = try c.decodeIfPresent(UInt16.self, forKey: .port)
        backup = try c.decodeIfPresent(Bool.self, forKey: .backup) ?? false
        disabled = try c.decodeIfPresent(Bool.self, forKey: .disabled) ?? false
        healthCheck = try c.decodeIfPresent(HealthCheck.self, forKey: .healthCheck)
    }
}

/// What happens to a real's tracked flows when its health checks take it out.
public enum OnDownAction: String, Hashable, Sendable, Codable, CaseIterable {
    /// They stay on it (TCP clients see their connection fail and open a new one, which Maglev
    /// sends to a live real).
    case keep
    /// They are dropped, so the next packet of each is scheduled again: what UDP services need.
    case reset
}
