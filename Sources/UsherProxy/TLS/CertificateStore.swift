import Logging
import NIOSSL
import Synchronization
import UsherCore

/// The certificates of an `https` service, chosen per handshake by SNI, reloadable in place.
///
/// Each certificate serves the DNS names of its leaf's subjectAltName (`*.example.com` matches
/// one label); the first certificate is the default for clients that send no SNI or a name no
/// certificate lists. `reload()` re-reads every file and swaps the whole set at once: new
/// handshakes see the new set, established connections keep the certificate they negotiated.
///
/// The current set is read under a lock once per TLS connection (never per request); the
/// handshake itself costs thousands of times more.
public final class CertificateStore: Sendable {
    private struct State {
        var current: CertificateSet
        /// Server contexts of `current`, one per ALPN list asked for; emptied on reload.
        var contexts: [[ALPNProtocol]: NIOSSLContext]
    }

    private let settings: TLSSettings
    private let logger: Logger
    private let state: Mutex<State>

    /// Loads every chain and key of `settings`; throws a `TLSConfigurationError` naming the file
    /// at the first one that cannot be used.
    public init(_ settings: TLSSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        let set = try CertificateSet(settings, logger: logger)
        let context = try set.makeServerContext(alpn: settings.alpn)
        self.state = Mutex(State(current: set, contexts: [settings.alpn: context]))
        logger.info("certificates loaded", metadata: ["count": "\(set.entries.count)", "names": "\(Self.describe(set))"])
    }

    /// Re-reads every certificate and key. On any error nothing changes (the current set stays
    /// served) and the error is thrown; on success new handshakes use the new set.
    public func reload() throws {
        let set: CertificateSet
        let context: NIOSSLContext
        do {
            set = try CertificateSet(settings, logger: logger)
            context = try set.makeServerContext(alpn: settings.alpn)
        } catch {
            logger.error("certificate reload failed; still serving the previous certificates", metadata: ["error": "\(error)"])
            throw error
        }
        state.withLock { $0 = State(current: set, contexts: [settings.alpn: context]) }
        logger.info("certificates reloaded", metadata: ["count": "\(set.entries.count)", "names": "\(Self.describe(set))"])
    }

    /// The DNS names of each certificate, in the order they are listed (the first is the default).
    public func certificateNames() -> [[String]] {
        state.withLock { $0.current.entries.map(\.names) }
    }

    /// The server context of the current set for this ALPN list (built once per set and list).
    func serverContext(alpn: [ALPNProtocol]) throws -> NIOSSLContext {
        try state.withLock { state in
            if let context = state.contexts[alpn] { return context }
            let context = try state.current.makeServerContext(alpn: alpn)
            state.contexts[alpn] = context
            return context
        }
    }

    private static func describe(_ set: CertificateSet) -> String {
        set.entries.map { $0.names.joined(separator: ",") }.joined(separator: " | ")
    }
}
