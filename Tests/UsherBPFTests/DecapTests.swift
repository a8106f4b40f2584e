import Foundation
import Testing
@testable import UsherBPF
import UsherTestSupport

/// The decapsulation program on tc ingress of a veth inside a temporary namespace.
@Suite("Decap", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct DecapTests {
    @Test("attach puts usher_decap on tc ingress (again: still one filter); detach removes only it")
    func attachDetach() throws {
        let ns = try LabNamespace("dc")
        defer { ns.remove() }
        let veth = "ud-\(ns.suffix)"
        try ns.ip("link", "add", veth, "type", "veth", "peer", "name", "ue-\(ns.suffix)")
        try ns.ip("link", "set", veth, "up")

        func filters() throws -> String {
            try Shell.run("tc", "-n", ns.name, "filter", "show", "dev", veth, "ingress")
        }
        try ns.run { try Decap.attach(interface: veth) }
        #expect(try ns.run { try Decap.isAttached(interface: veth) })
        let once = try filters()
        #expect(once.contains("usher_decap"))
        try ns.run { try Decap.attach(interface: veth) }
        let twice = try filters()
        #expect(twice.split(separator: "\n").filter { $0.contains("handle 0x5553") }.count == 1, "attach is idempotent: \(twice)")

        // Another filter on the same hook stays when Usher's goes.
        try Shell.run("tc", "-n", ns.name, "filter", "add", "dev", veth, "ingress", "prio", "7", "bpf", "bytecode", "1,6 0 0 0,")
        #expect(try ns.run { try Decap.detach(interface: veth) })
        let after = try filters()
        #expect(!after.contains("usher_decap"))
        #expect(after.contains("bytecode"))
        #expect(try ns.run { try Decap.detach(interface: veth) } == false, "nothing left to detach")
    }

    @Test("an interface that does not exist is named in the error")
    func missingInterface() throws {
        let ns = try LabNamespace("dc")
        defer { ns.remove() }
        let error = #expect(throws: BPFError.self) { try ns.run { try Decap.attach(interface: "nope0") } }
        #expect(error?.subject == "interface nope0")
    }
}
