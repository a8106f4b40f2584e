import ArgumentParser
import UsherControl
import UsherCore
import UsherProxy

/// `usher apply -f FILE`: make the balancer do what the file says, showing what changes.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Validate a config file and make the data plane follow it.",
        discussion: """
        Every error in the file is reported with its file, line and field, and then nothing is \
        changed. Otherwise the difference to the last applied configuration is printed and \
        written to the maps; each service's Maglev table is swapped in one update, so packets \
        see either the old table or the new one.
        """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The config file (YAML).", valueName: "file"))
    var file: String

    @Flag(help: "Validate and show the difference, change nothing.")
    var dryRun = false

    func run() throws {
        try reportingErrors {
            let config = try ConfigLoader.loadChecked(path: file)
            for warning in TLSMaterialCheck.warnings(config) { printError("usher: warning: \(warning)") }
            let diff = try global.controller().replace(with: config, dryRun: dryRun)
            if output.json {
                try printJSON(ApplyReport(dryRun: dryRun, changed: !diff.isEmpty, diff: diff))
                return
            }
            if diff.isEmpty {
                print("No changes: the data plane already follows \(file).")
                return
            }
            diff.lines.forEach { print($0) }
            print(dryRun ? "Dry run: nothing applied." : "Applied \(file).")
        }
    }
}

private struct ApplyReport: Encodable {
    let dryRun: Bool
    let changed: Bool
    let diff: ConfigDiff

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run", changed, diff
    }
}
