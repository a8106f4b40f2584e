import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Yams

/// The paths and methods openapi.yaml documents, read from the embedded document itself: a
/// request to a documented path with another method gets 405 and an `Allow` header (not the
/// router's 404), as RFC 9110 §15.5.6 says.
struct DocumentedRoutes: Sendable {
    struct Route: Sendable {
        /// Path segments; nil stands for a `{parameter}`.
        let segments: [String?]
        let methods: [String]
    }

    let routes: [Route]

    init(document: Data) {
        let text = String(decoding: document, as: UTF8.self)
        let paths = ((try? Yams.load(yaml: text)) as? [String: Any])?["paths"] as? [String: Any] ?? [:]
        let verbs: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        routes = paths.map { path, item in
            let methods = ((item as? [String: Any])?.keys.filter { verbs.contains($0) } ?? []).map { $0.uppercased() }.sorted()
            return Route(segments: Self.split(path).map { $0.hasPrefix("{") ? nil : $0 }, methods: methods)
        }
    }

    /// The methods of the documented path `path` matches; nil when it matches none.
    func methods(for path: String) -> [String]? {
        let parts = Self.split(path)
        return routes.first { route in
            route.segments.count == parts.count && zip(route.segments, parts).allSatisfy { $0 == nil || $0 == $1 }
        }?.methods
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}

/// Answers 405 for an undocumented method on a documented path.
struct MethodMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let routes: DocumentedRoutes

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        if let methods = routes.methods(for: request.uri.path), !methods.contains(request.method.rawValue) {
            var response = ErrorMiddleware.problem(
                .methodNotAllowed, "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(methods.joined(separator: " or "))")
            response.headers[.allow] = methods.joined(separator: ", ")
            return response
        }
        return try await next(request, context)
    }
}
