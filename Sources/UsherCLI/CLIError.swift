import ArgumentParser
import Foundation
import UsherControl
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
    } catch {
        throw report(error)
    }
}

/// The same for commands that run asynchronously.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw report(error)
    }
}

/// Prints `error` for a person and returns the exit status it maps to.
private func report(_ error: Error) -> ExitCode {
    do {
        throw error
    } catch let errors as ConfigErrors {
        for error in errors.errors { printError("\(error)") }
        printError("usher: configuration rejected (\(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s")); nothing was changed")
        return ExitCode(ExitStatus.invalidConfig)
    } catch let error as ExitCode {
        return error
    } catch let error as CLIError {
        printError("usher: \(error.description)")
        return ExitCode(ExitStatus.failure)
    } catch let error as ControlError {
        printError("usher: \(error.description)")
        return ExitCode(ExitStatus.failure)
    } catch {
        printError("usher: \(error)")
        return ExitCode(ExitStatus.failure)
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
