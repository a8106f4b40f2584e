import ArgumentParser
import Foundation
import UsherCore

/// A failure the user can act on: the message says what went wrong and what to do.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Exit statuses scripts can rely on (sysexits.h).
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let invalidConfig: Int32 = 65
}

/// Runs a command body, printing failures to stderr in one consistent form and turning them
/// into the documented exit statuses.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let errors as ConfigErrors {
        for error in errors.errors { printError("\(error)") }
        printError("usher: configuration rejected (\(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s")); nothing was changed")
        throw ExitCode(ExitStatus.invalidConfig)
    } catch let error as ExitCode {
        throw error
    } catch let error as CLIError {
        printError("usher: \(error.description)")
        throw ExitCode(ExitStatus.failure)
    } catch {
        printError("usher: \(error)")
        throw ExitCode(ExitStatus.failure)
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
