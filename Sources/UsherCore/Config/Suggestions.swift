/// "Did you mean …?" for misspelt field names and values.
enum Suggestions {
    /// The candidate closest to `word` by edit distance (ignoring case and `_` vs `-`), if it is
    /// close enough to be a plausible typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let normalized = normalize(word)
        var best: (String, Int)?
        for c in candidates {
            let d = distance(normalized, normalize(c))
            if let (_, bestDistance) = best, bestDistance <= d { continue }
            best = (c, d)
        }
        guard let (candidate, d) = best else { return nil }
        let allowed = max(2, normalized.count / 3)
        return d <= allowed ? candidate : nil
    }

    /// `a, b or c`.
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items.last!
    }

    private static func normalize(_ s: String) -> [Character] {
        Array(s.lowercased().map { $0 == "_" ? "-" : $0 })
    }

    /// Levenshtein distance.
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
