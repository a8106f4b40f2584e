import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIRuntime

/// Errors as JSON `{"error": …}` the document describes: a request the generated code could not
/// read (a query parameter that is not a number, a body that is not JSON) is the client's
/// mistake, 400, said in words; a failure inside an operation is logged and answered 500.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            // No input yet: the request itself could not be read.
            if error.operationInput == nil || error.httpStatus != .internalServerError {
                let status: HTTPResponse.Status = error.httpStatus == .internalServerError ? .badRequest : error.httpStatus
                return Self.problem(status, "\(error.causeDescription): \(error.underlyingError)")
            }
            logger.error("API operation failed", metadata: ["operation": "\(error.operationID)", "error": "\(error.underlyingError)"])
            return Self.problem(.internalServerError, "\(error.operationID) failed: \(error.underlyingError)")
        }
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
