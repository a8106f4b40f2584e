import UsherBPF

/// How the benchmark wrapper (`Benchmarks/BPF/usher_bench.c`) gives each test-run iteration a flow of its
/// own: iteration i has the flow index `idx = (i * stride) % modulus` (no modulus when it is 0),
/// and each field gets `base + ((idx >> shift) & mask)` written big-endian at its offset.
/// `apply(to:iteration:)` computes here exactly what the kernel writes, so the harness knows
/// which frame any iteration saw.
public struct FlowVariation: Hashable, Sendable {
    /// One field of the frame rewritten per iteration.
    public struct Field: Hashable, Sendable {
        public var offset: UInt32
        /// Bytes written: 1, 2 or 4.
        public var width: UInt8
        public var shift: UInt8
        public var mask: UInt32
        public var base: UInt32

        public init(offset: UInt32, width: UInt8, shift: UInt8 = 0, mask: UInt32 = .max, base: UInt32 = 0) {
            self.offset = offset
            self.width = width
            self.shift = shift
            self.mask = mask
            self.base = base
        }

        /// The value this field takes for flow index `idx`, truncated to its width.
        public func value(for idx: UInt32) -> UInt32 {
            let raw = base &+ ((idx >> UInt32(shift & 31)) & mask)
            return width >= 4 ? raw : raw & ((1 << (UInt32(width) * 8)) - 1)
        }
    }

    /// At most two fields (the wrapper's knobs).
    public var fields: [Field]
    public var stride: UInt32
    public var modulus: UInt32

    public init(fields: [Field] = [], stride: UInt32 = 1, modulus: UInt32 = 0) {
        self.fields = fields
        self.stride = stride
        self.modulus = modulus
    }

    /// Every iteration sees the same frame.
    public static let none = FlowVariation()

    /// The flow index of iteration `i`.
    public func index(ofIteration i: UInt64) -> UInt32 {
        let product = i &* UInt64(stride)
        return modulus == 0 ? UInt32(truncatingIfNeeded: product) : UInt32(product % UInt64(modulus))
    }

    /// The frame iteration `i` sees: `frame` with the fields of its flow index written.
    public func apply(to frame: [UInt8], iteration i: UInt64) -> [UInt8] {
        apply(to: frame, index: index(ofIteration: i))
    }

    /// `frame` with the fields of flow index `idx` written.
    public func apply(to frame: [UInt8], index idx: UInt32) -> [UInt8] {
        var out = frame
        for field in fields where field.width > 0 {
            let value = field.value(for: idx)
            let width = Int(field.width), start = Int(field.offset)
            guard start + width <= out.count else { continue }
            for k in 0..<width {
                out[start + k] = UInt8(truncatingIfNeeded: value >> UInt32(8 * (width - 1 - k)))
            }
        }
        return out
    }

    /// Up to 2^24 flows of a TCP or UDP frame (Ethernet, IPv4 or IPv6, no VLAN tag): flow index
    /// bits 0-15 are the source port, bits 16-23 the last byte of the source address (the
    /// frame's own source port and address byte are the bases). `count` flows visited in a
    /// scattered order (a stride coprime with it), or a new flow every iteration when `count`
    /// is nil.
    public static func sourceFlows(of frame: [UInt8], count: UInt32?) throws -> FlowVariation {
        let layout = try FrameLayout(frame)
        let sport = UInt32(frame[layout.l4Offset]) << 8 | UInt32(frame[layout.l4Offset + 1])
        let addrByte = UInt32(frame[layout.sourceAddressOffset + layout.addressLength - 1])
        let fields = [
            Field(offset: UInt32(layout.l4Offset), width: 2, shift: 0, mask: 0xFFFF, base: sport),
            Field(offset: UInt32(layout.sourceAddressOffset + layout.addressLength - 1), width: 1, shift: 16, mask: 0xFF, base: addrByte),
        ]
        guard let count else { return FlowVariation(fields: fields, stride: 1, modulus: 0) }
        guard count > 0, count <= 1 << 24 else {
            throw BPFError(call: "bench", subject: "flow variation", message: "\(count) flows; 1 ... 2^24 can be told apart")
        }
        return FlowVariation(fields: fields, stride: coprimeStride(with: count), modulus: count)
    }

    /// `count` flows (1 ... 65,536) of a TCP or UDP frame that differ only in their source port
    /// (the frame's own port and up), visited in a scattered order: the IP header, and so its
    /// checksum, stays as it is.
    public static func sourcePorts(of frame: [UInt8], count: UInt32) throws -> FlowVariation {
        let layout = try FrameLayout(frame)
        guard count > 0, count <= 1 << 16 else {
            throw BPFError(call: "bench", subject: "flow variation", message: "\(count) flows; source ports tell 1 ... 65,536 apart")
        }
        let sport = UInt32(frame[layout.l4Offset]) << 8 | UInt32(frame[layout.l4Offset + 1])
        return FlowVariation(fields: [Field(offset: UInt32(layout.l4Offset), width: 2, shift: 0, mask: 0xFFFF, base: sport)],
                             stride: coprimeStride(with: count), modulus: count)
    }

    /// A stride near the golden ratio of `n` that is coprime with it: consecutive iterations land
    /// far apart in the flow table, and every flow is visited once per `n` iterations.
    static func coprimeStride(with n: UInt32) -> UInt32 {
        guard n > 2 else { return 1 }
        var candidate = UInt32(Double(n) * 0.6180339887) | 1
        while gcd(candidate, n) != 1 { candidate += 2 }
        return candidate
    }

    private static func gcd(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
