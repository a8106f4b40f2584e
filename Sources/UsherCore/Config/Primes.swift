/// Primality for Maglev table sizes (at most ~1M, so trial division is instant).
enum Primes {
    static func isPrime(_ n: Int) -> Bool {
        if n < 2 { return false }
        if n < 4 { return true }
        if n % 2 == 0 || n % 3 == 0 { return false }
        var d = 5
        while d * d <= n {
            if n % d == 0 || n % (d + 2) == 0 { return false }
            d += 6
        }
        return true
    }

    /// The prime in `range` closest to `n` (the larger one on a tie).
    static func nearest(to n: Int, in range: ClosedRange<Int>) -> Int {
        let start = min(max(n, range.lowerBound), range.upperBound)
        var distance = 0
        while true {
            let up = start + distance, down = start - distance
            if up <= range.upperBound, isPrime(up) { return up }
            if down >= range.lowerBound, isPrime(down) { return down }
            if up > range.upperBound, down < range.lowerBound { return range.lowerBound }
            distance += 1
        }
    }
}
