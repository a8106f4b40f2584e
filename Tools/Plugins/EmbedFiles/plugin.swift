import Foundation
import PackagePlugin

/// Embeds a target's `Embedded/` files (the API's OpenAPI document, the status page) in the
/// target as a generated Swift source, so the daemon serves exactly the files in the repository
/// and `usher` stays one self-contained binary. `Tools/embed-files.sh` does the work.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let script = root.appending(path: "Tools/embed-files.sh")
        guard let sources = target as? SourceModuleTarget else { return [] }
        let embedded = sources.directoryURL.appending(path: "Embedded")
        // The OpenAPI document lives beside the generator's config (where its plugin wants it).
        var inputs = [sources.directoryURL.appending(path: "openapi.yaml")]
        if let names = try? FileManager.default.contentsOfDirectory(atPath: embedded.path) {
            inputs += names.sorted().map { embedded.appending(path: $0) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) files in \(target.name)",
                executable: URL(fileURLWithPath: "/bin/bash"),
                arguments: [script.path, output.path] + inputs.map(\.path),
                inputFiles: [script] + inputs,
                outputFiles: [output]
            ),
        ]
    }
}
