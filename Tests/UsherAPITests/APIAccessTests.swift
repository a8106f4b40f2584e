import Foundation
import Testing
@testable import UsherAPI

/// The pieces of access and routing that hold without a daemon: the token comparison, the
/// documented methods (from the embedded openapi.yaml), the token file's checks.
@Suite struct APIAccessTests {
    @Test func theTokenMustMatchWholly() {
        let expected = Array("Bearer s3cret-token-0123456789".utf8)
        #expect(AccessMiddleware.matches(expected, expected: expected))
        #expect(!AccessMiddleware.matches(Array("Bearer s3cret-token-012345678".utf8), expected: expected))
        #expect(!AccessMiddleware.matches(Array("Bearer s3cret-token-01234567890".utf8), expected: expected))
        #expect(!AccessMiddleware.matches([], expected: expected))
        #expect(!AccessMiddleware.matches(Array("bearer s3cret-token-0123456789".utf8), expected: expected))
    }

    @Test func theDocumentSaysWhichMethodsEachPathTakes() {
        let routes = DocumentedRoutes(document: APIDocument.yaml)
        #expect(routes.routes.count >= 15)
        #expect(routes.methods(for: "/api/v1/services") == ["GET"])
        #expect(routes.methods(for: "/api/v1/services/web/reals/198.51.100.11/weight") == ["PUT"])
        #expect(routes.methods(for: "/api/v1/services/web/reals/2001:db8::11/drain") == ["POST"])
        #expect(routes.methods(for: "/") == ["GET"])
        #expect(routes.methods(for: "/api/v1/nothing") == nil)
        #expect(routes.methods(for: "/api/v1/services/web/reals") == ["GET"])
    }

    @Test func theServedDocumentIsTheRepositorysFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/UsherAPI/openapi.yaml")
        #expect(try Data(contentsOf: file) == APIDocument.yaml)
        #expect(StatusPage.html.count > 1000)
    }

    @Test func aTokenFileMustBeRootsAlone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("usher-token-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("api.token").path
        try "0123456789abcdef0123456789abcdef\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        #expect(throws: SecretFile.Problem.self) { try SecretFile.read(path, what: "the token") }
        do {
            _ = try SecretFile.read(path, what: "the token")
        } catch {
            #expect("\(error)".contains("chmod 600"))
        }
        chmod(path, 0o600)
        #expect(try SecretFile.read(path, what: "the token") == "0123456789abcdef0123456789abcdef")
        try "short".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: SecretFile.Problem.self) { try SecretFile.read(path, what: "the token") }
        let link = directory.appendingPathComponent("link").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(throws: SecretFile.Problem.self) { try SecretFile.read(link, what: "the token") }
        #expect(throws: SecretFile.Problem.self) { try SecretFile.read(directory.appendingPathComponent("none").path, what: "the token") }
    }
}
