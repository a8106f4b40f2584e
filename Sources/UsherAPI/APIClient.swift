/// Who sent the request being handled, for the log line of every write: the Unix socket's
/// peer (root, by its permissions) or a TCP client's address. Set by `APIServer`'s middleware.
enum APIClient: CustomStringConvertible, Sendable {
    case unixSocket
    case remote(String)
    case unknown

    @TaskLocal static var current: APIClient = .unknown

    var description: String {
        switch self {
        case .unixSocket: "the API's Unix socket"
        case .remote(let address): "API client \(address)"
        case .unknown: "the API"
        }
    }
}
