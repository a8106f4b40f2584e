import Testing
import CUsherABI
import CLibBPF
@Test func abiImports() { #expect(MemoryLayout<usher_real>.size == 36); #expect(USHER_STAT_MAX == 14) }
