import Foundation
import Testing
import UsherTestSupport

/// A command that is well formed but cannot be carried out exits 1 with one line on stderr
/// saying what exists or what to do.
@Suite("Exit 1: runtime failures")
struct RuntimeErrorTests {
    @Test("removing a service when there is none says how to add one (no root needed)")
    func unknownServiceWhenEmpty() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.usher("service", "remove", "web")
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout == "")
        #expect(result.stderr == "usher: no service named web; there are no services yet: `usher service add` or `usher apply -f FILE`\n")
    }

    @Test("unknown service or real: the message names the ones that exist",
          .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
    func unknownNamesWhatExists() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        let before = try sandbox.snapshot()

        let real = try sandbox.usher("real", "remove", "web", "198.51.100.99")
        #expect(real.status == 1, "\(real)")
        #expect(real.stdout == "")
        #expect(real.stderr == "usher: 198.51.100.99 is not a real server of web; its reals: 198.51.100.11, 198.51.100.12\n")

        for verb in ["drain", "remove"] {
            let service = try sandbox.usher("real", verb, "nope", "198.51.100.11")
            #expect(service.status == 1, "\(service)")
            #expect(service.stderr == "usher: no service named nope; known services: web, dns\n")
        }
        let weight = try sandbox.usher("real", "weight", "web", "198.51.100.99", "2")
        #expect(weight.status == 1, "\(weight)")
        #expect(weight.stderr.hasPrefix("usher: 198.51.100.99 is not a real server of web;"))

        let remove = try sandbox.usher("service", "remove", "nope")
        #expect(remove.status == 1, "\(remove)")
        #expect(remove.stderr == "usher: no service named nope; known services: web, dns\n")

        let list = try sandbox.usher("real", "list", "nope")
        #expect(list.status == 1, "\(list)")
        #expect(list.stderr == "usher: no service named nope; known services: web, dns\n")

        let twice = try sandbox.usher("real", "add", "web", "198.51.100.11", "--mac", "02:00:00:00:00:11")
        #expect(twice.status == 1, "\(twice)")
        #expect(twice.stderr == "usher: 198.51.100.11 is already a real server of web; use `usher real weight` to change its weight\n")

        #expect(try sandbox.snapshot() == before, "a failed command changes nothing")
    }

    @Test("a missing config file is reported with its path")
    func missingFile() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let path = sandbox.workDir + "/absent.yaml"
        let result = try sandbox.usher("apply", "-f", path)
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.hasPrefix("\(path): "), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pinDir))
    }
}
