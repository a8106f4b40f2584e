import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherCore
import UsherTestSupport

/// usher_svcs_v1, the services by id that a tracked dsr flow's packet is classified by before
/// the VIP lookup: each apply makes the running slot hold exactly its VIP entries, by id.
@Suite("Service entries", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct ServiceEntriesTests {
    /// The running slot's entries that hold a service, by id.
    static func running(_ dp: Dataplane) throws -> [UInt32: usher_service_entry] {
        let slot = try dp.maps.runningGeneration() & 1
        let all = try dp.maps.services.arrayEntries(as: usher_service_entry.self, start: Int(slot) * Int(USHER_MAX_SERVICES),
                                                    count: Int(USHER_MAX_SERVICES))
        var out: [UInt32: usher_service_entry] = [:]
        for (id, entry) in all.enumerated() where entry.key.family != 0 { out[UInt32(id)] = entry }
        return out
    }

    @Test("each service of the running generation is at its id with its VIP key; a removed one leaves no entry")
    func entriesFollowTheVIPs() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let config = ApplyTests.config()
        let state = try dp.apply(config, previous: nil, resolver: ApplyTests.resolver())

        var entries = try Self.running(dp)
        #expect(entries.count == state.services.count, "web, dns and site (every mode is written; the program takes dsr only)")
        for service in state.services {
            let entry = try #require(entries[service.id], "no entry at \(service.name)'s id \(service.id)")
            #expect(sameBytes(entry.key, service.key.abi), "key of \(service.name)")
            let vip = try #require(try dp.maps.runningService(service.key.abi))
            #expect(sameBytes(entry.svc, vip), "value of \(service.name) is its usher_vips_v2 value")
        }

        // dns removed: the new running slot has no entry at its id; the others are unchanged.
        let dns = try #require(state.services.first { $0.name == "dns" })
        var fewer = config
        fewer.services.removeAll { $0.name == "dns" }
        let next = try dp.apply(fewer, previous: state, resolver: ApplyTests.resolver())
        entries = try Self.running(dp)
        #expect(entries[dns.id] == nil)
        #expect(Set(entries.keys) == Set(next.services.map(\.id)))
    }
}
