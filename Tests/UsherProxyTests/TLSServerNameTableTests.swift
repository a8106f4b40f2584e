import Testing
@testable import UsherProxy

/// Which certificate a TLS server name selects, without any TLS.
@Suite struct TLSServerNameTableTests {
    let table = ServerNameTable(names: [
        ["default.example"],
        ["www.example.com", "example.com"],
        ["*.apps.example.com"],
        ["api.apps.example.com", "www.example.com"],
    ])

    @Test func exactNamesIgnoringCaseAndOneTrailingDot() {
        #expect(table.index(for: "www.example.com") == 1)
        #expect(table.index(for: "EXAMPLE.com") == 1)
        #expect(table.index(for: "example.com.") == 1)
        #expect(table.index(for: "default.example") == 0)
    }

    @Test func aWildcardCoversExactlyOneLabel() {
        #expect(table.index(for: "shop.apps.example.com") == 2)
        #expect(table.index(for: "a.b.apps.example.com") == 0)
        #expect(table.index(for: "apps.example.com") == 0)
    }

    @Test func anExactNameWinsOverAWildcard() {
        #expect(table.index(for: "api.apps.example.com") == 3)
    }

    @Test func theFirstCertificateListingANameServesIt() {
        #expect(table.index(for: "www.example.com") == 1)
        #expect(table.duplicates == ["www.example.com"])
    }

    @Test func noOrUnknownNameGetsTheDefault() {
        #expect(table.index(for: nil) == 0)
        #expect(table.index(for: "other.example") == 0)
        #expect(table.index(for: "") == 0)
    }

    @Test func partialWildcardsAreIgnored() {
        let odd = ServerNameTable(names: [["a.example"], ["w*.example", "*.*.example", "*."]])
        #expect(odd.unsupported == ["w*.example", "*.*.example", "*."])
        #expect(odd.index(for: "www.example") == 0)
        #expect(odd.index(for: "x.y.example") == 0)
    }
}
