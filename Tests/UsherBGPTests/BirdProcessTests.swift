import Foundation
import Logging
import Testing
import UsherCore
import UsherHealth
@testable import UsherBGP

/// bird as the daemon's supervised child: it answers on its control socket, comes back after it
/// is killed, and is gone once stopped. The config has no neighbour, so nothing leaves the host.
@Suite(.serialized) struct BirdProcessTests {
    static func birdc(_ socket: String, _ command: String) -> ChildProcess.Exit? {
        try? ChildProcess.run(path: BGPService.birdc, arguments: ["-s", socket, command], timeout: 5)
    }

    /// Polls `condition` every 50 ms for at most `seconds`.
    static func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    @Test func superviseRestartAndStop() throws {
        let directory = NSTemporaryDirectory() + "usher-bird-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = BGPSettings(localAS: 65001, routerID: IPAddress("192.0.2.11")!, neighbors: [], bfd: false)
        let config = directory + "/bird.conf", socket = directory + "/bird.ctl"
        try BGPService.replace(config, with: BirdConfig.render(settings, announce: [IPAddress("203.0.113.10")!]))
        let bird = BirdProcess(configPath: config, socketPath: socket, logger: Logger(label: "test"))
        bird.start()
        #expect(Self.eventually(5) { Self.birdc(socket, "show status") == .exited(0) })
        #expect(bird.starts == 1)

        // A new file, taken by `birdc configure`, is what bird then holds.
        try BGPService.replace(config, with: BirdConfig.render(settings, announce: [IPAddress("203.0.113.20")!]))
        #expect(Self.birdc(socket, "configure") == .exited(0))

        // bird killed behind the daemon's back comes back.
        let first = try #require(Self.pid(of: config))
        kill(first, SIGKILL)
        #expect(Self.eventually(5) { bird.starts == 2 && Self.birdc(socket, "show status") == .exited(0) })

        bird.stop()
        #expect(Self.pid(of: config) == nil)
        #expect(Self.birdc(socket, "show status") != .exited(0))
    }

    /// The pid of the bird process running with `config`, from /proc.
    static func pid(of config: String) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.first?.hasSuffix("bird") == true, arguments.contains(config) { return pid }
        }
        return nil
    }

    @Test func aMissingBirdIsNamedWithWhatToInstall() {
        #expect(BGPService.missingTools() == nil)
        let problem = BGPService.missingTools(birdPath: "/nonexistent/bird")
        #expect(problem?.contains("/nonexistent/bird") == true)
        #expect(problem?.contains("apt-get install bird2") == true)
    }
}
