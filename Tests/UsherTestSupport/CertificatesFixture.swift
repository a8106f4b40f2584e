import Foundation
import UsherCore

/// A throwaway PKI made with the `openssl` CLI in a temp directory: one CA and the leaf
/// certificates a test asks for (DNS and IP subjectAltNames, EC or RSA keys, expired ones).
/// `remove()` deletes the directory; call it in a `defer`.
public struct CertificatesFixture: Sendable {
    public enum KeyType: Sendable { case ec, rsa }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let directory: String
    public let caPath: String
    private let caKeyPath: String

    /// Creates the directory and a CA named `caName`.
    public init(caName: String = "Usher Test CA") throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("usher-tls-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.caPath = directory + "/ca.pem"
        self.caKeyPath = directory + "/ca.key"
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", caKeyPath, "-out", caPath, "-days", "2", "-subj", "/CN=\(caName)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    /// Issues a leaf signed by the CA into `<name>.pem` / `<name>.key`; `expired` makes one whose
    /// validity ended a day ago. The subject CN is `name`.
    @discardableResult
    public func issue(
        _ name: String, dnsNames: [String], ipAddresses: [String] = [], keyType: KeyType = .ec, expired: Bool = false
    ) throws -> CertificateFiles {
        let files = CertificateFiles(certificatePath: "\(directory)/\(name).pem", keyPath: "\(directory)/\(name).key")
        switch keyType {
        case .ec:
            try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", files.keyPath])
        case .rsa:
            try Self.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", files.keyPath])
        }
        let csr = "\(directory)/\(name).csr"
        let extensions = "\(directory)/\(name).ext"
        try Self.openssl(["req", "-new", "-key", files.keyPath, "-subj", "/CN=\(name)", "-out", csr])
        let san = (dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }).joined(separator: ",")
        var lines = ["basicConstraints=CA:FALSE", "extendedKeyUsage=serverAuth"]
        if !san.isEmpty { lines.append("subjectAltName=\(san)") }
        try (lines.joined(separator: "\n") + "\n").write(toFile: extensions, atomically: true, encoding: .utf8)
        try Self.openssl([
            "x509", "-req", "-in", csr, "-CA", caPath, "-CAkey", caKeyPath, "-CAcreateserial",
            "-days", expired ? "-1" : "2", "-extfile", extensions, "-out", files.certificatePath,
        ])
        return files
    }

    /// Writes `text` to `<name>` in the directory and returns its path.
    public func write(_ text: String, to name: String) throws -> String {
        let path = "\(directory)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Copies `files` over `target` (both certificate and key), as an operator replacing a
    /// certificate in place before a reload.
    public func copy(_ files: CertificateFiles, over target: CertificateFiles) throws {
        for (from, to) in [(files.certificatePath, target.certificatePath), (files.keyPath, target.keyPath)] {
            let data = try Data(contentsOf: URL(fileURLWithPath: from))
            try data.write(to: URL(fileURLWithPath: to))
        }
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `openssl` with `arguments`; throws with its stderr when it fails.
    public static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self))")
        }
    }
}
