import Testing
@testable import UsherAPI
import UsherProxy

/// The text format as Prometheus parses it (promtool checks whole scrapes end to end).
@Suite struct PrometheusTextTests {
    @Test func familiesAndSamples() {
        var text = PrometheusText()
        text.family("usher_real_state", .gauge, "1 for the state each real is in.")
        text.sample("usher_real_state", ["service": "web", "real": "198.51.100.11", "state": "up"], 1)
        text.sample("usher_up", [:], 0.25)
        #expect(String(decoding: text.bytes, as: UTF8.self) == """
            # HELP usher_real_state 1 for the state each real is in.
            # TYPE usher_real_state gauge
            usher_real_state{service="web",real="198.51.100.11",state="up"} 1
            usher_up 0.25

            """)
    }

    @Test func labelValuesAreEscaped() {
        var text = PrometheusText()
        text.sample("m", ["service": "a\"b\\c\nd"], 3)
        #expect(String(decoding: text.bytes, as: UTF8.self) == "m{service=\"a\\\"b\\\\c\\nd\"} 3\n")
    }

    @Test func numbersAsGoWritesThem() {
        #expect(PrometheusText.format(3) == "3")
        #expect(PrometheusText.format(1.5e-3) == "0.0015")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
        #expect(PrometheusText.format(1e20) == "1e+20")
    }

    @Test func aHistogramsBucketsAreCumulative() {
        var latency = LatencyHistogram()
        for seconds in [0.0005, 0.003, 0.003, 0.2, 30] { latency.observe(seconds) }
        var text = PrometheusText()
        text.histogram("d", ["service": "web"], latency)
        let lines = String(decoding: text.bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.first == "d_bucket{service=\"web\",le=\"0.001\"} 1")
        #expect(lines.contains("d_bucket{service=\"web\",le=\"0.005\"} 3"))
        #expect(lines.contains("d_bucket{service=\"web\",le=\"0.25\"} 4"))
        #expect(lines.contains("d_bucket{service=\"web\",le=\"10\"} 4"))
        #expect(lines.contains("d_bucket{service=\"web\",le=\"+Inf\"} 5"))
        #expect(lines.contains("d_count{service=\"web\"} 5"))
        #expect(lines.count == LatencyHistogram.bounds.count + 3)
    }
}
