import Foundation

/// A BPF object compiled from `BPF/NAME.c` at build time and embedded in the binary.
public struct EmbeddedObject: Sendable {
    public let name: String
    public let bytes: [UInt8]

    /// The object compiled from `BPF/<name>.c`, or nil if there is no such file.
    public static func named(_ name: String) -> EmbeddedObject? {
        guard let encoded = EmbeddedBPFObjects.base64[name],
              let data = Data(base64Encoded: encoded) else { return nil }
        return EmbeddedObject(name: name, bytes: [UInt8](data))
    }

    /// Names of every embedded object.
    public static var names: [String] { EmbeddedBPFObjects.base64.keys.sorted() }
}
