import Foundation
import Testing
import UsherBPF
import UsherCore
import UsherTestSupport

/// `usher apply` killed with SIGKILL at random moments while it replaces 300 services × 50 reals
/// by another such config (other reals, another hash, ten services gone and ten new): every
/// time, the running tables hold one whole config — the old one or the new one, never some
/// services of each — and the next usher command completes or rolls back the killed apply, so
/// that the saved config and dataplane.json say what the maps run.
@Suite("Interrupted apply", .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct InterruptedApplyTests {
    static let trials = 30
    static let services = 300
    static let realsPerService = 50

    /// Variant 0 or 1 of the config: services s<port> on 203.0.113.10, TCP ports from 1000 (variant
    /// 1: from 1010), each listing the same 50 reals (variant 0: 198.51.100.1-50, variant 1: .11-.60,
    /// hashed on the client address only).
    static func config(variant: Int) -> String {
        let first = 1000 + 10 * variant
        let reals = (1 + 10 * variant)...(realsPerService + 10 * variant)
        var text = "services:\n"
        for port in first..<first + services {
            text += "  - name: s\(port)\n    vip: 203.0.113.10\n    port: \(port)\n    protocol: tcp\n"
            text += "    mode: dsr-l2\n    maglev-table-size: 251\n" + (variant == 1 ? "    hash: source-ip\n" : "")
            text += "    reals:\n"
            for real in reals { text += "      - {address: 198.51.100.\(real), mac: \"02:00:00:00:01:\(String(format: "%02x", real))\"}\n" }
        }
        return text
    }

    /// What a config makes each service do, by port: its reals and whether it hashes on the source.
    static func expected(variant: Int) -> [UInt16: String] {
        let first = 1000 + 10 * variant
        let reals = ((1 + 10 * variant)...(realsPerService + 10 * variant)).map { "198.51.100.\($0)" }.sorted()
        let line = (variant == 1 ? "source-hash " : "") + reals.joined(separator: ",")
        return Dictionary(uniqueKeysWithValues: (first..<first + services).map { (UInt16($0), line) })
    }

    /// What the running tables make each service do, by port: the reals of its Maglev table (each
    /// a present member of that very service) and its flags. Read straight from the maps, before
    /// any usher command could repair them.
    static func running(_ sandbox: Sandbox) throws -> [UInt16: String] {
        let dump = try Dataplane(pinDirectory: sandbox.pinDir, createIfMissing: false).dump(flowLimit: 0)
        let members = Dictionary(dump.reals.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [UInt16: String] = [:]
        for vip in dump.vips {
            let reals = (vip.maglev?.shares ?? []).map { share -> String in
                guard let member = members[share.realID], member.serviceID == vip.id, let address = member.address else {
                    return "missing real id \(share.realID)"
                }
                return "\(address)"
            }.sorted()
            out[vip.key.port] = (vip.flags.contains("source-hash") ? "source-hash " : "") + reals.joined(separator: ",")
        }
        return out
    }

    /// Which variant `tables` is wholly, or a description of the mix.
    static func variant(of tables: [UInt16: String]) -> Result<Int, Failure> {
        for variant in 0...1 where tables == expected(variant: variant) { return .success(variant) }
        let old = tables.filter { expected(variant: 0)[$0.key] == $0.value }.count
        let new = tables.filter { expected(variant: 1)[$0.key] == $0.value }.count
        return .failure(Failure(description: "\(tables.count) services: \(old) as in variant 0, \(new) as in variant 1"))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What the saved config and dataplane.json say each service does, in the same form.
    static func saved(_ sandbox: Sandbox) throws -> (config: [UInt16: String], state: [UInt16: String]) {
        let config = try #require(try StateStore(directory: sandbox.stateDir).load())
        var fromConfig: [UInt16: String] = [:]
        for service in config.services {
            let reals = service.reals.map { "\($0.address)" }.sorted()
            fromConfig[service.port] = (service.hashSourceOnly ? "source-hash " : "") + reals.joined(separator: ",")
        }
        let data = try #require(FileManager.default.contents(atPath: sandbox.stateDir + "/dataplane.json"))
        let state = try JSONDecoder().decode(DataplaneState.self, from: data)
        var fromState: [UInt16: String] = [:]
        for service in state.services {
            let reals = service.backends.map { "\($0.address)" }.sorted()
            fromState[service.key.port] = (service.hashSourceOnly ? "source-hash " : "") + reals.joined(separator: ",")
        }
        return (fromConfig, fromState)
    }

    /// When to kill: `delay` seconds after the start, or after the apply's journal appears (its
    /// maps are about to be written) — so that kills also fall in the short write phase.
    struct KillPoint {
        var afterJournal: Bool
        var delay: Double
    }

    /// What one apply did: killed or not, seconds from its start to the journal's appearance
    /// (nil: never seen) and to its end.
    struct Run {
        var killed: Bool
        var journalAt: Double?
        var endedAt: Double
    }

    /// Runs `usher apply -f FILE` and kills it with SIGKILL at `point` (if it still runs then).
    static func apply(_ sandbox: Sandbox, file: String, killAt point: KillPoint?) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try UsherBinary.path())
        process.arguments = ["apply", "-f", file, "--pin-dir", sandbox.pinDir, "--state-dir", sandbox.stateDir]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        let journal = sandbox.stateDir + "/apply-journal.json"
        let start = Date()
        try process.run()
        var journalAt: Double?
        var finished = false
        // Watch for the journal every millisecond while waiting (bounded: the apply's timeout).
        var kill = point.map { $0.afterJournal ? Double.infinity : $0.delay }
        while !finished, Date().timeIntervalSince(start) < 120 {
            if journalAt == nil, FileManager.default.fileExists(atPath: journal) {
                journalAt = Date().timeIntervalSince(start)
                if let point, point.afterJournal { kill = journalAt! + point.delay }
            }
            if let at = kill, Date().timeIntervalSince(start) >= at { break }
            finished = done.wait(timeout: .now() + 0.001) == .success
        }
        if !finished { Foundation.kill(process.processIdentifier, SIGKILL) }
        if !finished, done.wait(timeout: .now() + 60) == .timedOut {
            Foundation.kill(process.processIdentifier, SIGKILL)
            throw Failure(description: "usher apply did not end within 60 s of its SIGKILL")
        }
        return Run(killed: !finished && process.terminationReason == .uncaughtSignal, journalAt: journalAt,
                   endedAt: Date().timeIntervalSince(start))
    }

    @Test("SIGKILL at random moments of a 300 x 50 apply: one whole generation runs, and the next command settles it")
    func killedApplies() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let files = [try sandbox.write("v0.yaml", Self.config(variant: 0)), try sandbox.write("v1.yaml", Self.config(variant: 1))]
        try sandbox.ok("apply", "-f", files[0])
        #expect(try Self.running(sandbox) == Self.expected(variant: 0), "the check reads what was applied")
        // How long a whole apply of one over the other takes, and its write phase (from the
        // journal to the end): half the kills fall anywhere in the first, half in the second.
        let calibration = try Self.apply(sandbox, file: files[1], killAt: nil)
        let whole = calibration.endedAt
        let writing = whole - (try #require(calibration.journalAt, "an apply that changes the maps writes its journal first"))
        #expect(try Self.running(sandbox) == Self.expected(variant: 1))
        #expect(!FileManager.default.fileExists(atPath: sandbox.stateDir + "/apply-journal.json"), "a finished apply leaves no journal")

        var current = 1
        var outcomes: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(420)
        for trial in 0..<Self.trials {
            try #require(Date() < deadline, "30 trials must fit in 7 minutes; \(trial) done (an apply takes \(whole) s)")
            let target = 1 - current
            let point = trial % 2 == 0 ? KillPoint(afterJournal: false, delay: Double.random(in: 0...(whole * 1.1)))
                : KillPoint(afterJournal: true, delay: Double.random(in: 0...(writing * 1.2)))
            let killed = try Self.apply(sandbox, file: files[target], killAt: point).killed
            let delay = "\(point.afterJournal ? "after the journal + " : "")\(String(format: "%.3f", point.delay)) s"

            // Straight after the kill, before any usher command: one whole config runs.
            let runs: Int
            switch Self.variant(of: try Self.running(sandbox)) {
            case .success(let variant): runs = variant
            case .failure(let mix):
                Issue.record("trial \(trial): killed \(delay), the maps run a mix: \(mix)")
                return
            }

            // The next command completes or rolls back the killed apply.
            let next = try sandbox.usher("service", "list")
            #expect(next.status == 0, "trial \(trial): \(next)")
            let saved = try Self.saved(sandbox)
            #expect(try Self.running(sandbox) == Self.expected(variant: runs), "trial \(trial): the maps keep running what they ran")
            #expect(saved.config == Self.expected(variant: runs), "trial \(trial): the saved config says what the maps run (variant \(runs))")
            #expect(saved.state == Self.expected(variant: runs), "trial \(trial): dataplane.json says what the maps run (variant \(runs))")
            let recovery = next.stderr.contains("completed") ? "completed" : next.stderr.contains("rolled back") ? "rolled back" : "nothing to recover"
            outcomes["\(killed ? "killed" : "finished"), ran \(runs == target ? "new" : "old"), \(recovery)", default: 0] += 1
            current = runs
        }
        print("InterruptedApplyTests: a whole apply takes \(String(format: "%.2f", whole)) s, writing \(String(format: "%.2f", writing)) s; outcomes: \(outcomes)")
        #expect(outcomes.keys.contains { $0.hasPrefix("killed, ran old") }, "some kills fell before the switch: \(outcomes)")
        #expect(outcomes.keys.contains { $0.contains("ran new") }, "some applies got past the switch: \(outcomes)")

        // The user's view agrees too: applying what runs changes nothing, the other file changes all.
        let runningFile = files[current]
        #expect(try sandbox.ok("apply", "-f", runningFile).hasPrefix("No changes"), "the saved config is what runs")
        #expect(try !sandbox.ok("apply", "-f", files[1 - current]).hasPrefix("No changes"))
        #expect(try Self.running(sandbox) == Self.expected(variant: 1 - current))
    }
}
