/// A problem found by `ConfigValidator` (or by an extra check given to `ConfigLoader`), before
/// it is given a file position.
public struct ValidationIssue: Hashable, Sendable {
    var path: FieldPath
    /// What is wrong. When `related` is set, the message ends with "… at" and the related
    /// field's place (path, and line when known) is appended.
    var message: String
    var hint: String?
    /// The other field of a clash (the first of two duplicates).
    var related: FieldPath?
    /// A field whose absence causes this issue; when the file has that field but it could not
    /// be read, the loader has already reported it and drops this issue as a consequence.
    var absent: FieldPath?

    public init(_ path: FieldPath, _ message: String, hint: String? = nil, related: FieldPath? = nil, absent: FieldPath? = nil) {
        self.path = path
        self.message = message
        self.hint = hint
        self.related = related
        self.absent = absent
    }

    /// The message with the related field's place appended; `describe` gives that place.
    func fullMessage(describe: (FieldPath) -> String = { $0.description }) -> String {
        guard let related else { return message }
        return "\(message) \(describe(related))"
    }
}
