import Foundation

/// The status page (Embedded/status.html: HTML, CSS and script in one file, nothing fetched
/// from elsewhere, no build step).
enum StatusPage {
    static var html: Data { EmbeddedFiles.data("status.html") ?? Data() }
}
