import Foundation

/// Docs/BENCHMARKS.md, regenerated from the JSON results of the parts that have run.
public struct Report {
    public var resultsDirectory: String
    public var command: String

    public init(resultsDirectory: String, command: String) {
        self.resultsDirectory = resultsDirectory
        self.command = command
    }

    public func markdown() -> String {
        "# Benchmarks\n\n(report generation not written yet)\n"
    }
}
