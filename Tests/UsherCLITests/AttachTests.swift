import Foundation
import Testing
import UsherTestSupport

/// `interfaces:` in a config file, `usher attach`/`detach`, and what `status` says about them,
/// on a veth pair inside a namespace of the lab.
@Suite("Attach", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct AttachTests {
    static func attachments(_ sandbox: Sandbox, _ netns: LabNetns) throws -> [[String: Any]] {
        let result = try sandbox.usher(in: netns, "status", "--json")
        try #require(result.status == 0, "\(result)")
        return try JSON.objects(try JSON.object(JSON.parse(result.stdout))["attachments"], "attachments")
    }

    @Test("apply attaches to the listed interfaces and detaches from those no longer listed")
    func applyReconcilesInterfaces() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let netns = try LabNetns()
        defer { netns.remove() }
        let withInterface = try sandbox.write("with.yaml", "interfaces:\n  - name: ucli0\n    xdp-mode: generic\n" + Configs.base)
        let first = try sandbox.usher(in: netns, "apply", "-f", withInterface)
        #expect(first.status == 0, "\(first)")
        #expect(first.stdoutLines.first == "+ interface ucli0 xdp-mode generic", "\(first)")

        let attached = try Self.attachments(sandbox, netns)
        try #require(attached.count == 1, "\(attached)")
        #expect(attached[0]["interface"] as? String == "ucli0")
        #expect(attached[0]["mode"] as? String == "generic")
        #expect(attached[0]["program"] as? String == "balancer")
        let status = try sandbox.usher(in: netns, "status")
        #expect(status.stdout.contains("Attached:     usher_balance (id "), "\(status)")

        let without = try sandbox.write("without.yaml", Configs.base)
        let second = try sandbox.usher(in: netns, "apply", "-f", without)
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout == "- interface ucli0\nApplied \(without).\n", "\(second)")
        #expect(try Self.attachments(sandbox, netns).isEmpty)
        #expect(try sandbox.usher(in: netns, "status").stdout.contains(
            "Attached:     nowhere in this network namespace (usher attach IFACE)\n"))
    }

    @Test("a config naming a missing interface changes nothing, in --dry-run too; the next good apply works (issue 11, defect 1)")
    func missingInterfaceChangesNothing() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let netns = try LabNetns()
        defer { netns.remove() }
        let good = try sandbox.write("good.yaml", "interfaces:\n  - name: ucli0\n    xdp-mode: generic\n" + Configs.base)
        #expect(try sandbox.usher(in: netns, "apply", "-f", good).status == 0)
        let dump = try sandbox.usher(in: netns, "maps", "dump", "--json").stdout
        let bad = try sandbox.write("bad.yaml", "interfaces:\n  - name: nosuch0\n    xdp-mode: generic\n"
            + Configs.base.replacingOccurrences(of: "198.51.100.12\n", with: "198.51.100.14\n"))
        for arguments in [["apply", "--dry-run", "-f", bad], ["apply", "-f", bad]] {
            let result = try sandbox.usher(in: netns, arguments)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("no interface \"nosuch0\" in this network namespace; nothing was changed"), "\(result.stderr)")
        }
        #expect(try sandbox.usher(in: netns, "maps", "dump", "--json").stdout == dump, "the maps are as they were")
        #expect(try Self.attachments(sandbox, netns).map { $0["interface"] as? String } == ["ucli0"], "still attached")
        let again = try sandbox.usher(in: netns, "apply", "-f", good)
        #expect(again.status == 0 && again.stdout.hasPrefix("No changes"), "the saved config is still the good one: \(again)")
    }

    @Test("attach and detach by hand; detaching twice says there was nothing to do")
    func attachDetach() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let netns = try LabNetns()
        defer { netns.remove() }
        let attach = try sandbox.usher(in: netns, "attach", "ucli1", "--xdp-mode", "generic", "--program", "pass")
        #expect(attach.status == 0, "\(attach)")
        #expect(attach.stdout.hasPrefix("Attached: usher_pass (id "), "\(attach)")
        let attached = try Self.attachments(sandbox, netns)
        #expect(attached.map { $0["program"] as? String } == ["pass"])

        let detach = try sandbox.usher(in: netns, "detach", "ucli1", "--program", "pass")
        #expect(detach.stdout == "Detached usher_pass from ucli1.\n", "\(detach)")
        let again = try sandbox.usher(in: netns, "detach", "ucli1", "--program", "pass")
        #expect(again.status == 0)
        #expect(again.stdout == "usher_pass was not attached to ucli1; nothing to do.\n", "\(again)")

        let missing = try sandbox.usher(in: netns, "attach", "nosuch0")
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr.hasPrefix("usher: ") && missing.stderr.contains("nosuch0")
                && missing.stderr.contains("no such interface"), "\(missing)")
    }
}
