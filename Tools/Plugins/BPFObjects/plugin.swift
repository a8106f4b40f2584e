import Foundation
import PackagePlugin

/// Compiles every `*.c` of the `BPF/` folder beside the target's `Sources/` folder with the
/// toolchain's clang (`-target bpf`) and embeds the objects in the target as a generated Swift
/// source: `BPF/` in UsherBPF, so `swift build` alone produces a self-contained `usher`;
/// `Benchmarks/BPF/` in UsherBenchKit, so the benchmark's programs stay out of `usher`. The work
/// is done by `Tools/build-bpf.sh`; this only declares inputs and outputs so SwiftPM reruns it
/// when any BPF source or header changes.
@main
struct BPFObjects: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        // Sources/UsherBPF -> BPF, Benchmarks/Sources/UsherBenchKit -> Benchmarks/BPF.
        let bpfDir = target.directoryURL.deletingLastPathComponent().deletingLastPathComponent().appending(path: "BPF")
        let script = root.appending(path: "Tools/build-bpf.sh")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedBPFObjects.swift")
        let clang = try context.tool(named: "clang").url
        // The bench's programs may include the product's headers (BPF/include, BPF/lib): a
        // flow-table candidate is the balancer with one piece changed.
        let productDir = root.appending(path: "BPF")
        let extraDirs = bpfDir.standardizedFileURL == productDir.standardizedFileURL ? [] : [productDir]

        var inputs: [URL] = [script]
        for dir in [bpfDir] + extraDirs {
            guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where ["c", "h"].contains(url.pathExtension) {
                inputs.append(url)
            }
        }
        return [
            .buildCommand(
                displayName: "Compiling and embedding BPF objects",
                executable: URL(fileURLWithPath: "/bin/bash"),
                arguments: [
                    script.path, clang.path, bpfDir.path,
                    context.pluginWorkDirectoryURL.path, output.path,
                ] + extraDirs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
