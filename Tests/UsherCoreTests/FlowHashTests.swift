import Foundation
import Testing
@testable import UsherCore

/// The control plane's copy of the data plane's flow hash must agree bit for bit with Linux's
/// jhash and with how the XDP program loads packet bytes.
@Suite struct FlowHashTests {
    static let client4 = IPAddress("192.0.2.1")!
    static let vip4 = IPAddress("203.0.113.10")!
    static let client6 = IPAddress("2001:db8::1")!
    static let vip6 = IPAddress("2001:db8:1::10")!

    /// Recorded with gcc 12 (`-O2`, x86-64) from the jhash and fold code of `referenceProgram`
    /// below (Linux's jhash; packet bytes memcpy'd into native integers as the XDP program loads
    /// them) and a `main` that builds these flows' bytes. Tests/Fixtures/flowhash.py, written
    /// separately for the Python fixtures, gives the same values.
    @Test func knownFlows() {
        #expect(FlowHash.hash(src: Self.client4, dst: Self.vip4, sport: 40000, dport: 80, proto: 6, sourceOnly: false) == 2_708_321_979)
        #expect(FlowHash.hash(src: Self.client4, dst: Self.vip4, sport: 5353, dport: 53, proto: 17, sourceOnly: false) == 2_519_215_632)
        #expect(FlowHash.hash(src: Self.client4, dst: Self.vip4, sport: 40000, dport: 80, proto: 6, sourceOnly: true) == 1_240_157_699)
        #expect(FlowHash.hash(src: Self.client6, dst: Self.vip6, sport: 50000, dport: 443, proto: 6, sourceOnly: false) == 1_699_523_953)
        #expect(FlowHash.hash(src: Self.client6, dst: Self.vip6, sport: 50000, dport: 443, proto: 6, sourceOnly: true) == 737_094_317)
    }

    /// Same origin as `knownFlows`: bare jhash_3words values.
    @Test func knownJhashValues() {
        #expect(FlowHash.jhash3Words(0, 0, 0, initval: 0) == 459_859_287)
        #expect(FlowHash.jhash3Words(1, 2, 3, initval: FlowHash.seed) == 2_799_333_702)
        #expect(FlowHash.jhash3Words(0xffff_ffff, 0x1234_5678, 0x9abc_def0, initval: FlowHash.seed) == 3_566_572_236)
        #expect(FlowHash.jhash3Words(0x0a71_0bcb, 0, 0, initval: FlowHash.seed) == 1_493_228_121)
    }

    @Test func foldReadsNetworkBytesAsLittleEndianWords() {
        #expect(FlowHash.fold(Self.client4) == 0x0102_00c0)
        #expect(FlowHash.fold(Self.client6) == 0xb90d_0120)
    }

    @Test func sourceOnlyIgnoresEverythingButTheClient() {
        let a = FlowHash.hash(src: Self.client4, dst: Self.vip4, sport: 1, dport: 80, proto: 6, sourceOnly: true)
        let b = FlowHash.hash(src: Self.client4, dst: IPAddress("203.0.113.99")!, sport: 65000, dport: 53, proto: 17, sourceOnly: true)
        #expect(a == b)
        let c = FlowHash.hash(src: Self.client4, dst: Self.vip4, sport: 1, dport: 80, proto: 6, sourceOnly: false)
        let d = FlowHash.hash(src: Self.client4, dst: Self.vip4, sport: 2, dport: 80, proto: 6, sourceOnly: false)
        #expect(c != d)
    }

    @Test func maglevSlotIsOnePlusHashModSize() {
        #expect(FlowHash.maglevSlot(hash: 2_708_321_979, tableSize: 65537) == 1 + 2_708_321_979 % 65537)
        #expect(FlowHash.maglevSlot(hash: 65537, tableSize: 65537) == 1)
        #expect(FlowHash.maglevSlot(hash: 65536, tableSize: 65537) == 65537)
        #expect(FlowHash.maglevSlot(hash: 0xffff_ffff, tableSize: 7) == 1 + Int(0xffff_ffff as UInt32 % 7))
        #expect(FlowHash.maglevSlot(hash: 12345, tableSize: 0) == 0)
    }

    /// Checked against Tests/Fixtures/flowhash.py's encap_source_v4/v6 for the same hashes.
    @Test func encapsulationSourcesTakeHostBitsFromTheHash() {
        let v4 = FlowHash.encapsulationSource(prefix: IPPrefix("198.51.100.64/26")!, hash: 2_708_321_979)
        #expect(v4 == IPAddress("198.51.100.123"))
        let v6 = FlowHash.encapsulationSource(prefix: IPPrefix("2001:db8:2::/112")!, hash: 1_699_523_953)
        #expect(v6 == IPAddress("2001:db8:2::ad71"))
        #expect(FlowHash.encapsulationSource(prefix: IPPrefix("198.51.100.7/32")!, hash: 0xffff_ffff) == IPAddress("198.51.100.7"))
        #expect(FlowHash.flowLabel(hash: 0xabcd_ef12) == 0xd_ef12)
    }

    /// Compiles `referenceProgram` with the system C compiler and compares 400 pseudo-random
    /// flows (IPv4 and IPv6, TCP and UDP, 5-tuple and source-only) with this implementation.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc")))
    func agreesWithTheCReferenceOnRandomFlows() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("usher-jhash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("ref.c").path, binary = dir.appendingPathComponent("ref").path
        try Self.referenceProgram.write(toFile: source, atomically: true, encoding: .utf8)
        #expect(try Self.run("/usr/bin/cc", ["-O2", "-Wall", "-Werror", "-o", binary, source]).status == 0)
        let output = try Self.run(binary, [])
        #expect(output.status == 0)
        let lines = output.text.split(separator: "\n")
        #expect(lines.count == 400)
        for line in lines {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 7, let src = IPAddress(bytes: Self.hexBytes(f[0])), let dst = IPAddress(bytes: Self.hexBytes(f[1])),
                  let sport = UInt16(f[2]), let dport = UInt16(f[3]), let proto = UInt8(f[4]), let expected = UInt32(f[6]) else {
                Issue.record("unparsable line \(line)")
                continue
            }
            let got = FlowHash.hash(src: src, dst: dst, sport: sport, dport: dport, proto: proto, sourceOnly: f[5] == "1")
            #expect(got == expected, "\(line)")
        }
    }

    static func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex, let j = s.index(i, offsetBy: 2, limitedBy: s.endIndex), let b = UInt8(s[i..<j], radix: 16) {
            out.append(b)
            i = j
        }
        return out
    }

    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Linux include/linux/jhash.h (jhash_3words and what it uses), and the XDP program's way of
    /// reading the flow: memcpy of network-order bytes into native integers.
    static let referenceProgram = #"""
/* Reference flow hash: Linux include/linux/jhash.h's jhash_3words and the XDP program's
 * reading of packet bytes (native loads of network-order bytes, via memcpy).
 * Prints "SRC DST SPORT DPORT PROTO SRCONLY HASH" per line, addresses as hex bytes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef uint32_t u32;
static inline u32 rol32(u32 word, unsigned int shift) { return (word << shift) | (word >> ((-shift) & 31)); }
#define JHASH_INITVAL 0xdeadbeef
#define __jhash_final(a, b, c)                  \
	{                                       \
		c ^= b; c -= rol32(b, 14);      \
		a ^= c; a -= rol32(c, 11);      \
		b ^= a; b -= rol32(a, 25);      \
		c ^= b; c -= rol32(b, 16);      \
		a ^= c; a -= rol32(c, 4);       \
		b ^= a; b -= rol32(a, 14);      \
		c ^= b; c -= rol32(b, 24);      \
	}
static inline u32 __jhash_nwords(u32 a, u32 b, u32 c, u32 initval)
{
	a += initval; b += initval; c += initval;
	__jhash_final(a, b, c);
	return c;
}
static inline u32 jhash_3words(u32 a, u32 b, u32 c, u32 initval)
{
	return __jhash_nwords(a, b, c, initval + JHASH_INITVAL + (3 << 2));
}
#define SEED 0x55534852u
static u32 fold(const uint8_t *a, int len)
{
	u32 out = 0, w;
	for (int i = 0; i < len; i += 4) { memcpy(&w, a + i, 4); out ^= w; }
	return out;
}
static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
int main(void)
{
	for (int n = 0; n < 400; n++) {
		int len = (n % 2) ? 16 : 4, srconly = (n % 5) == 0;
		uint8_t src[16], dst[16], sp[2], dp[2], proto = (n % 3) ? 6 : 17;
		for (int i = 0; i < len; i++) { src[i] = next(); dst[i] = next(); }
		sp[0] = next(); sp[1] = next(); dp[0] = next(); dp[1] = next();
		uint16_t sraw, draw;
		memcpy(&sraw, sp, 2); memcpy(&draw, dp, 2);
		u32 h = srconly ? jhash_3words(fold(src, len), 0, 0, SEED)
				: jhash_3words(fold(src, len), fold(dst, len) ^ proto, ((u32)sraw << 16) | draw, SEED);
		for (int i = 0; i < len; i++) printf("%02x", src[i]);
		printf(" ");
		for (int i = 0; i < len; i++) printf("%02x", dst[i]);
		printf(" %u %u %u %d %u\n", (sp[0] << 8) | sp[1], (dp[0] << 8) | dp[1], proto, srconly, h);
	}
	return 0;
}
"""#
}
