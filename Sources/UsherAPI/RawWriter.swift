/// Writes samples straight into memory sized beforehand: the per-real families of a large
/// scrape (a million lines) with no array growth, bounds check or string per line.
struct RawWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    /// Upper bound of what `seconds` and `decimal` write.
    static let valueBound = 27

    /// `base` must hold everything written (the caller sizes it from the lines it writes).
    init(_ base: UnsafeMutablePointer<UInt8>) {
        self.base = base
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    /// `name{labels extra} value\n`.
    mutating func sample(_ name: UnsafeBufferPointer<UInt8>, _ labels: UnsafeBufferPointer<UInt8>,
                         extra: UnsafeBufferPointer<UInt8>? = nil, _ value: UInt64) {
        head(name, labels, extra: extra)
        decimal(value)
        append(0x0A)
    }

    /// `name{labels} seconds\n`.
    mutating func sample(_ name: UnsafeBufferPointer<UInt8>, _ labels: UnsafeBufferPointer<UInt8>, seconds: Double) {
        head(name, labels, extra: nil)
        self.seconds(seconds)
        append(0x0A)
    }

    private mutating func head(_ name: UnsafeBufferPointer<UInt8>, _ labels: UnsafeBufferPointer<UInt8>,
                               extra: UnsafeBufferPointer<UInt8>?) {
        append(name)
        append(UInt8(ascii: "{"))
        append(labels)
        if let extra { append(extra) }
        append(UInt8(ascii: "}"))
        append(UInt8(ascii: " "))
    }

    mutating func decimal(_ value: UInt64) {
        var rest = value, digits = 1
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        digit(value, width: digits)
    }

    /// Seconds to the microsecond, the fraction's trailing zeros left out (`0.0012`, `3`).
    mutating func seconds(_ value: Double) {
        guard value.isFinite, value >= 0, value < 1e12 else {
            for byte in PrometheusText.format(value).utf8.prefix(Self.valueBound) { append(byte) }
            return
        }
        let micros = UInt64((value * 1e6).rounded())
        decimal(micros / 1_000_000)
        var fraction = micros % 1_000_000
        guard fraction > 0 else { return }
        var width = 6
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        append(UInt8(ascii: "."))
        digit(fraction, width: width)
    }

    /// `value` in exactly `width` digits (leading zeros when it is shorter).
    private mutating func digit(_ value: UInt64, width: Int) {
        var rest = value
        var at = base + count + width
        for _ in 0..<width {
            at -= 1
            at.pointee = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        count += width
    }
}
