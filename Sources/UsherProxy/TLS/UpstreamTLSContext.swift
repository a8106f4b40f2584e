import Foundation
import NIOSSL
import UsherCore

/// TLS towards the real servers of a pool (re-encryption).
///
/// With `caPath`, the real server's chain must verify against that CA alone (not the system's
/// roots) and its certificate must name `serverName`, or, when `serverName` is nil, carry the
/// member's IP address as an IP subjectAltName. Without `caPath` nothing is verified: the config
/// must say so explicitly. TLS 1.2 and 1.3, ALPN `http/1.1`.
public enum UpstreamTLSContext {
    /// Builds the client context once per pool; throws a `TLSConfigurationError` naming the CA file.
    public static func make(_ settings: UpstreamTLS) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.applicationProtocols = ["http/1.1"]
        if let caPath = settings.caPath {
            configuration.trustRoots = .certificates(try loadCA(caPath))
            configuration.certificateVerification = .fullVerification
        } else {
            configuration.certificateVerification = .none
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSConfigurationError.rejected(path: settings.caPath ?? "upstream TLS", reason: "\(error)")
        }
    }

    /// The TLS handler for one connection to a real server: SNI and the verified name are
    /// `settings.serverName`; nil sends no SNI and verifies the connected IP address instead.
    /// Create it on the connection's event loop, first in its pipeline.
    public static func makeHandler(context: NIOSSLContext, settings: UpstreamTLS) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: settings.serverName)
    }

    private static func loadCA(_ path: String) throws -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw TLSConfigurationError.unreadableFile(
                path: path, role: "CA", reason: exists ? "permission denied" : "no such file")
        }
        let certificates = try? NIOSSLCertificate.fromPEMFile(path)
        guard let certificates, !certificates.isEmpty else {
            throw TLSConfigurationError.noCertificateInFile(path: path)
        }
        return certificates
    }
}
