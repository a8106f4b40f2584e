import Foundation

/// A horizontal bar chart as SVG text (Docs/bench/*.svg): one bar per figure with its label and
/// value, an error bar from the minimum to the maximum of the rounds, a linear or logarithmic
/// axis. Plain SVG 1.1 that GitHub renders; no dependency.
public struct SVGBarChart: Sendable {
    public struct Bar: Sendable {
        public var label: String
        public var value: Double
        public var low: Double?
        public var high: Double?
        /// Bars of one group share a colour (e.g. the floor program, Usher, a peer).
        public var group: Int

        public init(label: String, value: Double, low: Double? = nil, high: Double? = nil, group: Int = 0) {
            self.label = label
            self.value = value
            self.low = low
            self.high = high
            self.group = group
        }

        public init(label: String, summary: Summary, scale: Double = 1, group: Int = 0) {
            self.init(label: label, value: summary.median * scale, low: summary.min * scale, high: summary.max * scale, group: group)
        }
    }

    public var title: String
    /// The axis's unit, e.g. "ns per packet".
    public var unit: String
    public var bars: [Bar]
    public var logScale = false
    /// A legend: one name per group, in group order.
    public var groups: [String] = []

    public init(title: String, unit: String, bars: [Bar], logScale: Bool = false, groups: [String] = []) {
        self.title = title
        self.unit = unit
        self.bars = bars
        self.logScale = logScale
        self.groups = groups
    }

    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1"]
    static let width = 860.0, labelWidth = 340.0, valueWidth = 90.0, rowHeight = 24.0, top = 52.0, bottom = 44.0

    public func render() -> String {
        let plotLeft = Self.labelWidth, plotRight = Self.width - Self.valueWidth
        let legendHeight = groups.isEmpty ? 0.0 : 22.0
        let height = Self.top + legendHeight + Double(max(bars.count, 1)) * Self.rowHeight + Self.bottom
        let axis = Axis(values: bars.flatMap { [$0.value, $0.high ?? $0.value] }, log: logScale)
        func x(_ v: Double) -> Double { plotLeft + axis.fraction(v) * (plotRight - plotLeft) }

        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(Self.width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect x="0" y="0" width="\(Int(Self.width))" height="\(Int(height))" fill="#ffffff"/>
            <text x="\(Int(Self.width / 2))" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(Self.escape(title))</text>

            """
        var y = Self.top
        if !groups.isEmpty {
            var lx = plotLeft
            for (i, name) in groups.enumerated() {
                out += "<rect x=\"\(f(lx))\" y=\"\(f(y - 10))\" width=\"12\" height=\"12\" fill=\"\(Self.palette[i % Self.palette.count])\"/>\n"
                out += "<text x=\"\(f(lx + 16))\" y=\"\(f(y))\">\(Self.escape(name))</text>\n"
                lx += 24 + Double(name.count) * 6.5
            }
            y += legendHeight
        }
        let plotTop = y
        // Grid and ticks.
        for tick in axis.ticks {
            let tx = x(tick)
            out += "<line x1=\"\(f(tx))\" y1=\"\(f(plotTop - 4))\" x2=\"\(f(tx))\" y2=\"\(f(plotTop + Double(bars.count) * Self.rowHeight))\" "
            out += "stroke=\"#dddddd\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(f(tx))\" y=\"\(f(plotTop + Double(bars.count) * Self.rowHeight + 16))\" text-anchor=\"middle\" "
            out += "fill=\"#555555\">\(Self.escape(Self.number(tick)))</text>\n"
        }
        for bar in bars {
            let mid = y + Self.rowHeight / 2, colour = Self.palette[bar.group % Self.palette.count]
            out += "<text x=\"\(f(plotLeft - 8))\" y=\"\(f(mid + 4))\" text-anchor=\"end\">\(Self.escape(bar.label))</text>\n"
            let x0 = x(axis.origin), x1 = max(x(bar.value), x0 + 0.5)
            out += "<rect class=\"bar\" x=\"\(f(x0))\" y=\"\(f(y + 4))\" width=\"\(f(x1 - x0))\" height=\"\(f(Self.rowHeight - 8))\" fill=\"\(colour)\"/>\n"
            if let low = bar.low, let high = bar.high, high > low {
                let a = x(low), b = x(high)
                out += "<path class=\"range\" d=\"M\(f(a)) \(f(mid - 5))V\(f(mid + 5))M\(f(a)) \(f(mid))H\(f(b))M\(f(b)) \(f(mid - 5))V\(f(mid + 5))\" "
                out += "stroke=\"#222222\" stroke-width=\"1.2\" fill=\"none\"/>\n"
            }
            let textX = max(x1, bar.high.map(x) ?? x1) + 6
            out += "<text x=\"\(f(min(textX, Self.width - 4)))\" y=\"\(f(mid + 4))\" fill=\"#222222\">\(Self.escape(Self.number(bar.value)))</text>\n"
            y += Self.rowHeight
        }
        out += "<line x1=\"\(f(plotLeft))\" y1=\"\(f(plotTop - 4))\" x2=\"\(f(plotLeft))\" y2=\"\(f(y))\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        let caption = unit + (logScale ? " (logarithmic scale)" : "") + (bars.contains { $0.low != nil } ? "; whiskers: min–max of the rounds" : "")
        out += "<text x=\"\(f((plotLeft + plotRight) / 2))\" y=\"\(f(y + 34))\" text-anchor=\"middle\" fill=\"#333333\">\(Self.escape(caption))</text>\n"
        return out + "</svg>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ v: Double) -> String {
        let a = abs(v)
        if a >= 100_000 { return String(format: "%.3g", v) }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }

    /// The value axis: linear from 0, or logarithmic over whole decades.
    struct Axis {
        let log: Bool
        let origin: Double
        let top: Double
        let ticks: [Double]

        init(values: [Double], log: Bool) {
            let positive = values.filter { $0 > 0 && $0.isFinite }
            self.log = log && !positive.isEmpty
            if self.log {
                let lo = floor(log10(positive.min()!)), hi = max(ceil(log10(positive.max()!)), lo + 1)
                origin = pow(10, lo)
                top = pow(10, hi)
                ticks = stride(from: lo, through: hi, by: 1).map { pow(10, $0) }
            } else {
                let maxValue = max(values.filter(\.isFinite).max() ?? 1, 1e-9)
                let step = Self.niceStep(maxValue / 5)
                origin = 0
                top = ceil(maxValue / step) * step
                ticks = stride(from: 0, through: top + step / 2, by: step).map { $0 }
            }
        }

        func fraction(_ v: Double) -> Double {
            if log { return (log10(max(v, origin)) - log10(origin)) / (log10(top) - log10(origin)) }
            return max(0, min(1, v / top))
        }

        static func niceStep(_ raw: Double) -> Double {
            let magnitude = pow(10, floor(log10(raw)))
            for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= raw { return m * magnitude }
            return 10 * magnitude
        }
    }
}
