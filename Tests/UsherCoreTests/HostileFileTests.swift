import Foundation
import Testing
@testable import UsherCore

/// Files a careless or hostile operator passes (issue 11, defects 5 and 7): every decoding error
/// is located, no value is echoed back whole, and key material is never quoted.
@Suite struct HostileFileTests {
    func load(_ bytes: [UInt8]) -> [ConfigError] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("usher-hostile-\(UUID()).yaml").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { unlink(path) }
        do {
            _ = try ConfigLoader.load(path: path)
            Issue.record("the file was accepted")
            return []
        } catch {
            return error.errors
        }
    }

    @Test func aLatin1ByteIsLocated() throws {
        let errors = load(Array("services:\n  - name: w".utf8) + [0xe9] + Array("b\n".utf8))
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.line == 2 && error.column == 12, "\(error)")
        #expect(error.message.contains("0xE9") && error.message.contains("é"), "\(error)")
    }

    @Test func aHugeValueIsNotEchoedBackWhole() {
        let huge = String(repeating: "9", count: 5_000_000)
        let errors = load(Array(serviceFile(port: huge).utf8))
        let text = ConfigErrors(errors: errors).description
        #expect(errors.contains { $0.field == "services[0].port" }, "\(errors)")
        #expect(text.count < 2000, "the errors are \(text.count) characters long")
        #expect(text.contains("5000000 characters"))
    }

    @Test(arguments: ["PRIVATE KEY", "RSA PRIVATE KEY", "CERTIFICATE"])
    func pemDataIsNeverQuoted(_ label: String) {
        let secret = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDDl"
        let errors = load(Array("-----BEGIN \(label)-----\n\(secret)\n-----END \(label)-----\n".utf8))
        let text = ConfigErrors(errors: errors).description
        #expect(errors.count == 1 && text.contains("PEM data"), "\(text)")
        #expect(!text.contains(secret.prefix(12)), "key material was quoted: \(text)")
    }
}
