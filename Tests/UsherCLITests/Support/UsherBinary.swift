import Foundation

/// Finds the `usher` executable these tests run. `swift build --build-tests` (or `swift test`)
/// puts it in the same products directory as the test bundle, so it is looked for there first.
enum UsherBinary {
    /// The path, or nil with the places that were tried.
    static let lookup: Result<String, LookupFailure> = find()

    struct LookupFailure: Error, CustomStringConvertible {
        let tried: [String]
        var description: String {
            "the usher executable was not found; build it with `swift build --build-tests` "
                + "(or set USHER_BIN to its path). Tried: " + tried.joined(separator: ", ")
        }
    }

    /// The path of the executable; throws a clear message when it is missing.
    static func path() throws -> String {
        try lookup.get()
    }

    private static func find() -> Result<String, LookupFailure> {
        let fm = FileManager.default
        var tried: [String] = []
        func usable(_ path: String) -> Bool {
            tried.append(path)
            return fm.isExecutableFile(atPath: path)
        }
        // 1. An explicit choice (Tools/test exports it).
        if let explicit = ProcessInfo.processInfo.environment["USHER_BIN"], !explicit.isEmpty {
            if usable(explicit) { return .success(explicit) }
        }
        // 2. Beside the test bundle: the products directory of this very build.
        var directories: [URL] = []
        if let first = CommandLine.arguments.first, !first.isEmpty {
            let bundle = URL(fileURLWithPath: first).resolvingSymlinksInPath()
            directories.append(bundle.deletingLastPathComponent())
        }
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            directories.append(executable.deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL.resolvingSymlinksInPath().deletingLastPathComponent())
        for directory in directories {
            // A macOS-style bundle sits one level further in (…/X.xctest/Contents/MacOS).
            for candidate in [directory, directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()] {
                let path = candidate.appendingPathComponent("usher").path
                if !tried.contains(path), usable(path) { return .success(path) }
            }
        }
        // 3. The package's build folders (.build, .build-*), newest binary first.
        let package = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let builds = ((try? fm.contentsOfDirectory(atPath: package.path)) ?? [])
            .filter { $0 == ".build" || $0.hasPrefix(".build-") }
            .map { package.appendingPathComponent($0).appendingPathComponent("debug/usher").path }
        let found = builds.filter(usable).sorted { modified($0) > modified($1) }
        if let newest = found.first { return .success(newest) }
        return .failure(LookupFailure(tried: tried))
    }

    private static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }
}
