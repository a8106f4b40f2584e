import Foundation
import Testing
import UsherTestSupport

/// `usher apply`: the diff it prints, `--dry-run`, the "No changes" case and `--json`.
@Suite("Apply", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct ApplyTests {
    /// What `apply` prints for base → everythingChanged, in order.
    static let diffLines = [
        "~ encapsulation: source-v4 198.51.100.64/26 → 198.51.100.128/26",
        "- service dns 203.0.113.53:53/udp dsr-ipip maglev-table-size 13",
        "+ service mail 203.0.113.25:25/tcp dsr-l2 maglev-table-size 7",
        "+ service mail: real 198.51.100.31 weight 1 mac 02:00:00:00:00:31",
        "+ service web: real 198.51.100.13 weight 1 mac 02:00:00:00:00:13",
        "~ service web: real 198.51.100.12 weight 1 → 3",
    ]

    @Test("the first apply lists everything added; applying it again says No changes")
    func firstApplyThenNoChanges() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let file = try sandbox.write("base.yaml", Configs.base)
        let first = try sandbox.ok("apply", "-f", file)
        #expect(first == """
            ~ encapsulation: source-v4 (none) → 198.51.100.64/26
            + service web 203.0.113.10:80/tcp dsr-l2 maglev-table-size 251
            + service web: real 198.51.100.11 weight 1 mac 02:00:00:00:00:11
            + service web: real 198.51.100.12 weight 1 mac 02:00:00:00:00:12
            + service dns 203.0.113.53:53/udp dsr-ipip maglev-table-size 13
            + service dns: real 198.51.100.21 weight 1 mac 02:00:00:00:00:21
            Applied \(file).

            """)
        let dump = try sandbox.ok("maps", "dump", "--json")
        let second = try sandbox.ok("apply", "-f", file)
        #expect(second == "No changes: the data plane already follows \(file).\n")
        #expect(try sandbox.ok("maps", "dump", "--json") == dump, "an apply without changes rewrites nothing")
    }

    @Test("an unchanged apply writes no file: config.json and dataplane.json stay the very files they were")
    func unchangedApplyWritesNoFile() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let file = try sandbox.write("base.yaml", Configs.base)
        try sandbox.ok("apply", "-f", file)
        let names = ["config.json", "dataplane.json"]
        // Inode and modification time: every save is a new file renamed into place.
        func stamps() throws -> [String] {
            try names.map { name in
                let info = try FileManager.default.attributesOfItem(atPath: sandbox.stateDir + "/" + name)
                return "\(name) \(info[.systemFileNumber] ?? "?") \(info[.modificationDate] ?? "?")"
            }
        }
        let before = try stamps()
        #expect(try sandbox.ok("apply", "-f", file).hasPrefix("No changes"))
        #expect(try stamps() == before, "nothing was rewritten")
        // A change that the maps do not carry (a service renamed) rewrites the config only.
        let renamed = try sandbox.write("renamed.yaml", Configs.base.replacingOccurrences(of: "name: dns", with: "name: dns2"))
        try sandbox.ok("apply", "-f", renamed)
        let after = try stamps()
        #expect(after[0] != before[0], "the config names dns2 now")
        #expect(try sandbox.ok("service", "list").contains("dns2"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.stateDir + "/apply-journal.json"))
    }

    @Test("--dry-run prints the diff and changes nothing; the real apply prints the same diff")
    func dryRun() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let before = try sandbox.snapshot()
        let file = try sandbox.write("changed.yaml", Configs.everythingChanged())

        let dry = try sandbox.ok("apply", "-f", file, "--dry-run")
        #expect(dry == (Self.diffLines + ["Dry run: nothing applied."]).joined(separator: "\n") + "\n")
        #expect(try sandbox.snapshot() == before, "a dry run changes nothing")

        let real = try sandbox.ok("apply", "-f", file)
        #expect(real == (Self.diffLines + ["Applied \(file)."]).joined(separator: "\n") + "\n")
        #expect(try sandbox.snapshot() != before)
        #expect(try sandbox.ok("apply", "-f", file, "--dry-run") == "No changes: the data plane already follows \(file).\n")
    }

    @Test("--json reports dry_run, changed and the diff")
    func json() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let file = try sandbox.write("changed.yaml", Configs.everythingChanged())

        let dry = try JSON.object(try sandbox.json("apply", "-f", file, "--dry-run", "--json"))
        #expect(JSON.keys(dry) == ["dry_run", "changed", "diff"])
        #expect(dry["dry_run"] as? Bool == true)
        #expect(dry["changed"] as? Bool == true)
        let diff = try JSON.object(dry["diff"], "diff")
        #expect(JSON.keys(diff) == ["services_added", "services_removed", "services_changed", "interfaces_added",
                                    "interfaces_removed", "interfaces_changed", "encapsulation_changes",
                                    "snat_pools_added", "snat_pools_removed", "snat_pools_changed", "nat_changes", "ha_changes"])
        #expect(try JSON.objects(diff["services_added"]).map { try JSON.string($0, "name") } == ["mail"])
        #expect(try JSON.objects(diff["services_removed"]).map { try JSON.string($0, "name") } == ["dns"])
        #expect(try JSON.objects(diff["services_changed"]).count == 1)
        let encap = try JSON.objects(diff["encapsulation_changes"])
        #expect(encap.count == 1)
        #expect(encap.first?["field"] as? String == "source-v4")
        #expect(encap.first?["from"] as? String == "198.51.100.64/26")
        #expect(encap.first?["to"] as? String == "198.51.100.128/26")

        let applied = try JSON.object(try sandbox.json("apply", "-f", file, "--json"))
        #expect(applied["dry_run"] as? Bool == false)
        #expect(applied["changed"] as? Bool == true)
        let again = try JSON.object(try sandbox.json("apply", "-f", file, "--json"))
        #expect(again["changed"] as? Bool == false)
        let empty = try JSON.object(again["diff"], "diff")
        #expect(try empty.values.allSatisfy { try JSON.array($0).isEmpty }, "\(again)")
    }
}
