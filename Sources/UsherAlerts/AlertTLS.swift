import NIOCore
import NIOSSL
import UsherCore

/// The TLS client side of https webhooks and STARTTLS: full verification against the CA file
/// given, else the system's roots; the name checked is the host's (its address when the host
/// is one, against the certificate's IP addresses).
enum AlertTLS {
    static func handler(host: String, caFile: String?) throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let caFile {
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            guard !certificates.isEmpty else { throw AlertSetupError(reason: "no certificate in the CA file \(caFile)") }
            configuration.trustRoots = .certificates(certificates)
        }
        let context = try NIOSSLContext(configuration: configuration)
        return try NIOSSLClientHandler(context: context, serverHostname: IPAddress(host) == nil ? host : nil)
    }
}

/// A TLS setting that cannot be used (an unreadable CA file), in words.
struct AlertSetupError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
