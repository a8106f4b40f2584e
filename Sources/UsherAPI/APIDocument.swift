import Foundation

/// The OpenAPI document the handlers are generated from, as the daemon serves it.
enum APIDocument {
    static var yaml: Data { EmbeddedFiles.data("openapi.yaml") ?? Data() }
}
