import Foundation
import UsherBPF

/// The benchmark's own BPF objects (Benchmarks/BPF/*.c), compiled by the BPFObjects plugin and
/// embedded in this module only: the shipped `usher` carries none of them.
enum BenchObject {
    /// Opens the embedded object `name` with only `programs` to be loaded; its maps pinned by
    /// name are the ones under `pinRoot` (a data plane's), none without it.
    static func open(_ name: String, programs: Set<String>, pinRoot: String? = nil) throws -> BPFObject {
        guard let encoded = EmbeddedBPFObjects.base64[name], let image = Data(base64Encoded: encoded) else {
            throw BPFError(call: "open", subject: "embedded object \(name)",
                           message: "this build has no Benchmarks/BPF/\(name).c; rebuild usher-bench")
        }
        return try BPFObject(name: name, image: [UInt8](image), pinRoot: pinRoot, programs: programs)
    }
}
