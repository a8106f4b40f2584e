import Foundation
import Logging
import NIOSSL
import UsherCore

/// One loaded generation of certificates: immutable once built, shared by every handshake that
/// starts while it is current. A reload builds a new set and swaps it in whole.
final class CertificateSet: Sendable {
    /// A certificate chain, its key and the names it serves.
    struct Entry: Sendable {
        let files: CertificateFiles
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        /// The leaf's subjectAltName DNS names, as written in the certificate.
        let names: [String]
        /// What a handshake applies to present this certificate instead of the default.
        let override: NIOSSLContextConfigurationOverride
    }

    let entries: [Entry]
    let table: ServerNameTable

    /// Reads every chain and key, checks each key against its certificate, and logs what a user
    /// should fix (expired certificates, names no certificate can serve) without refusing them.
    init(_ settings: TLSSettings, logger: Logger) throws {
        guard !settings.certificates.isEmpty else { throw TLSConfigurationError.noCertificates }
        var entries: [Entry] = []
        for files in settings.certificates {
            entries.append(try Self.load(files))
        }
        self.entries = entries
        self.table = ServerNameTable(names: entries.map(\.names))
        self.warn(logger)
    }

    /// The override that presents the certificate for `serverName`; `.noChanges` for the default.
    func override(for serverName: String?) -> NIOSSLContextConfigurationOverride {
        let index = table.index(for: serverName)
        return index == 0 ? .noChanges : entries[index].override
    }

    /// A server context presenting the default certificate, switching per handshake by SNI,
    /// speaking TLS 1.2 and 1.3 only, with AEAD ciphers and the given ALPN protocols.
    func makeServerContext(alpn: [ALPNProtocol]) throws -> NIOSSLContext {
        let main = entries[0]
        var configuration = ServerTLSPolicy.configuration(chain: main.chain, key: main.key)
        configuration.applicationProtocols = alpn.map(\.rawValue)
        configuration.sslContextCallback = { [self] values, promise in
            promise.succeed(self.override(for: values.serverHostname))
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSConfigurationError.rejected(path: main.files.certificatePath, reason: "\(error)")
        }
    }

    static func load(_ files: CertificateFiles) throws -> Entry {
        try checkReadable(files.certificatePath, role: "certificate chain")
        try checkReadable(files.keyPath, role: "private key")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw TLSConfigurationError.noCertificateInFile(path: files.certificatePath)
        }
        guard let leaf = chain.first else { throw TLSConfigurationError.noCertificateInFile(path: files.certificatePath) }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw TLSConfigurationError.invalidPrivateKey(path: files.keyPath)
        }
        // BoringSSL checks that the key belongs to the leaf when a context is built with both.
        do {
            _ = try NIOSSLContext(configuration: ServerTLSPolicy.configuration(chain: chain, key: key))
        } catch {
            throw TLSConfigurationError.keyDoesNotMatchCertificate(keyPath: files.keyPath, certificatePath: files.certificatePath)
        }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        return Entry(files: files, chain: chain, key: key, names: dnsNames(of: leaf), override: override)
    }

    private static func checkReadable(_ path: String, role: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSConfigurationError.unreadableFile(path: path, role: role, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw TLSConfigurationError.unreadableFile(path: path, role: role, reason: "is a directory")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TLSConfigurationError.unreadableFile(path: path, role: role, reason: "permission denied")
        }
    }

    static func dnsNames(of certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { name in
            name.nameType == .dnsName ? String(decoding: name.contents, as: UTF8.self) : nil
        }
    }

    private func warn(_ logger: Logger) {
        let now = time(nil)
        for (index, entry) in entries.enumerated() {
            let leaf = entry.chain[0]
            var metadata: Logger.Metadata = ["certificate": "\(entry.files.certificatePath)"]
            if leaf.notValidAfter < now {
                metadata["not-after"] = "\(Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)))"
                logger.warning("certificate has expired; clients will refuse it: renew it and reload", metadata: metadata)
            } else if leaf.notValidBefore > now {
                metadata["not-before"] = "\(Date(timeIntervalSince1970: TimeInterval(leaf.notValidBefore)))"
                logger.warning("certificate is not valid yet; clients will refuse it until then", metadata: metadata)
            }
            if entry.names.isEmpty && index > 0 {
                logger.warning(
                    "certificate has no subjectAltName DNS name and is not the first (the default): no client can reach it",
                    metadata: ["certificate": "\(entry.files.certificatePath)"])
            }
        }
        for name in table.duplicates {
            logger.notice("name listed by more than one certificate; the first listed serves it", metadata: ["name": "\(name)"])
        }
        for name in table.unsupported {
            logger.warning("certificate name ignored: only plain names and a leading '*.' wildcard are matched", metadata: ["name": "\(name)"])
        }
    }
}
