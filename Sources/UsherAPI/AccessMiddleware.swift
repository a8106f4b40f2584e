import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Who may ask: on the Unix socket anyone who can open it (root, by its mode); on TCP only a
/// request with `Authorization: Bearer TOKEN` (compared in constant time), except for the status
/// page and the OpenAPI document, which hold no data. Sets `APIClient.current` for the log.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    /// nil on the Unix socket.
    let token: [UInt8]?

    static let publicPaths: Set<String> = ["/", "/api/v1/openapi.yaml"]

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else {
            return try await APIClient.$current.withValue(APIClient.unixSocket) { () async throws -> Response in
                try await next(request, context)
            }
        }
        let client = APIClient.remote(context.remoteAddress.map(Self.describe) ?? "unknown")
        if !Self.publicPaths.contains(request.uri.path) {
            let sent = request.headers[.authorization].map { Array($0.utf8) } ?? []
            guard Self.matches(sent, expected: Array("Bearer ".utf8) + token) else {
                return Self.unauthorized(sent.isEmpty ? "send the API token as `Authorization: Bearer TOKEN` (api.token-file)"
                                                      : "the token is not the one in api.token-file")
            }
        }
        return try await APIClient.$current.withValue(client) { () async throws -> Response in
            try await next(request, context)
        }
    }

    /// Equal lengths and bytes, in a time that does not depend on where they differ.
    static func matches(_ sent: [UInt8], expected: [UInt8]) -> Bool {
        var difference = UInt8(sent.count == expected.count ? 0 : 1)
        for i in 0..<expected.count { difference |= expected[i] ^ (i < sent.count ? sent[i] : 0) }
        return difference == 0
    }

    static func unauthorized(_ message: String) -> Response {
        var response = ErrorMiddleware.problem(.unauthorized, message)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"usher\""
        return response
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
