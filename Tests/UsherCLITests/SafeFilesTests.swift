import Foundation
import Testing
import UsherProxy
import UsherTestSupport

/// Files that hold state are root's alone, and directories another user controls are refused
/// (issue 11, defect 5): such a user could otherwise replace a saved config or unlink root's
/// pinned maps.
@Suite("Safe files", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct SafeFilesTests {
    static func mode(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_mode & 0o7777) : -1
    }

    @Test("after an apply the state directory is 0700 and config.json, dataplane.json are 0600")
    func stateFilesAreRootOnly() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        chmod(sandbox.stateDir, 0o755)
        _ = try sandbox.ok("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        #expect(Self.mode(sandbox.stateDir) == 0o700)
        for file in ["config.json", "dataplane.json"] {
            #expect(Self.mode(sandbox.stateDir + "/" + file) == 0o600, "\(file)")
        }
    }

    @Test("a pin directory another user owns is refused, naming the owner; nothing is pinned there")
    func foreignPinDirectory() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try FileManager.default.createDirectory(atPath: sandbox.pinDir, withIntermediateDirectories: true)
        #expect(chown(sandbox.pinDir, 65534, 65534) == 0)
        let result = try sandbox.usher("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("pin directory \(sandbox.pinDir)") && result.stderr.contains("belongs to"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.pinDir).isEmpty)
    }

    @Test("a state directory others can write to is refused, and nothing is applied")
    func worldWritableStateDirectory() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        chmod(sandbox.stateDir, 0o777)
        let result = try sandbox.usher("apply", "-f", try sandbox.write("base.yaml", Configs.base))
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("lets other users write to it"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.pinDir + "/usher_vips_v2"), "nothing was pinned")
    }

    @Test("the proxy's counters file is 0600 in a 0700 directory")
    func proxyCountersAreRootOnly() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let directory = sandbox.workDir + "/proxy-state"
        try ProxyStatistics(writtenAt: Date(), pid: 1, services: []).write(toDirectory: directory)
        #expect(Self.mode(directory) == 0o700)
        #expect(Self.mode(directory + "/" + ProxyStatistics.fileName) == 0o600)
    }
}
