import Testing
@testable import UsherAPI

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
}
