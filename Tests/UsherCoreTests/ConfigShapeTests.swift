import Testing
@testable import UsherCore

/// Mistakes in the shape of the file: YAML syntax, wrong types, missing and unknown fields.
@Suite struct ConfigShapeTests {
    // MARK: YAML syntax

    @Test func aBareAsteriskPortIsASyntaxErrorWithAdvice() {
        expectOneError("""
        services:
          - name: web
            vip: 203.0.113.10
            port: *
        """, line: 4, field: "", message: "YAML syntax error", hint: "write \"*\" in quotes")
    }

    @Test func aTabIsASyntaxErrorOnItsLine() {
        expectOneError("services:\n  - name: web\n\tvip: 203.0.113.10\n",
                       line: 3, field: "", message: "YAML syntax error", hint: "YAML does not allow tabs")
    }

    @Test func aMissingColonNamesTheLineWithoutOne() {
        expectOneError("""
        services:
          - name web
            vip: 203.0.113.10
        """, line: 3, field: "", message: "mapping values are not allowed", hint: "line 2 (`- name web`) has no colon")
    }

    @Test func anUnclosedQuoteIsASyntaxError() {
        expectOneError("services:\n  - name: \"web\n", line: 2, column: 11, field: "", message: "YAML syntax error",
                       hint: "missing its closing quote")
    }

    @Test func aKeyGivenTwiceIsReportedAtTheSecond() {
        expectOneError("""
        services:
          - name: web
            port: 80
            vip: 203.0.113.10
            port: 81
        """, line: 5, column: 5, field: "", message: "key \"port\" is given twice in the same mapping (first on line 3)")
    }

    // MARK: Wrong types

    @Test func aScalarWhereAListIsExpected() {
        expectOneError("""
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            protocol: tcp
            mode: dsr-l2
            reals: 198.51.100.11
        """, line: 7, field: "services[0].reals", message: "expected a list of reals, found \"198.51.100.11\"",
        hint: "- address: 198.51.100.11")
    }

    @Test func aListWhereAValueIsExpected() {
        expectOneError("""
        services:
          - name: web
            vip: [203.0.113.10, 203.0.113.11]
            port: 80
            protocol: tcp
            mode: dsr-l2
        """, line: 3, field: "services[0].vip", message: "expected the VIP, found a list")
    }

    @Test func aMappingWhereAListIsExpected() {
        expectOneError("""
        services:
          name: web
          vip: 203.0.113.10
        """, line: 2, field: "services", message: "expected a list of services, found a mapping", hint: "start each service with `- ")
    }

    @Test func aBareInterfaceNameWhereAnInterfaceIsExpected() {
        expectOneError("""
        interfaces:
          - eth0
        services: []
        """, line: 2, field: "interfaces[0]", message: "expected an interface, found \"eth0\"", hint: "write `- name: eth0`")
    }

    @Test func aTopLevelListIsNotAConfig() {
        expectOneError("- name: web\n", line: 1, field: "", message: "expected the config, found a list")
    }

    @Test func anEmptyValueIsReportedAtItsKey() {
        expectOneError("""
        services:
          - name: web
            vip:
            port: 80
            protocol: tcp
            mode: dsr-l2
        """, line: 3, field: "services[0].vip", message: "no value given for the VIP")
    }

    // MARK: Missing fields

    @Test func aMissingRequiredFieldIsReportedAtItsService() {
        expectOneError("""
        services:
          - name: web
            port: 80
            protocol: tcp
            mode: dsr-l2
          - name: api
            port: 81
            protocol: tcp
            mode: dsr-l2
            vip: 203.0.113.10
        """, line: 2, column: 5, field: "services[0].vip", message: "missing field \"vip\" in a service", hint: "vip: 203.0.113.10")
    }

    @Test func aRealWithoutAddress() {
        expectOneError("""
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            protocol: tcp
            mode: dsr-l2
            reals:
              - weight: 2
        """, line: 8, field: "services[0].reals[0].address", message: "missing field \"address\" in a real")
    }

    @Test func theServicesListIsRequired() {
        expectOneError("interfaces: []\n", line: 1, field: "services", message: "missing field \"services\"", hint: "services: []")
    }

    // MARK: Unknown fields

    @Test func anUnknownTopLevelFieldSuggestsTheClosest() {
        expectOneError("service: []\n", line: 1, column: 1, field: "service", message: "unknown field \"service\" in the config",
                       hint: "did you mean \"services\"?")
    }

    @Test func aMisspeltServiceFieldSuggestsTheClosestInsteadOfReportingItMissing() {
        expectOneError("""
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            protocl: tcp
            mode: dsr-l2
        """, line: 5, column: 5, field: "services[0].protocl", message: "unknown field \"protocl\" in a service",
        hint: "did you mean \"protocol\"?")
    }

    @Test func unknownFieldsOfRealsInterfacesAndEncapsulation() {
        let errors = parseErrors("""
        interfaces:
          - name: eth0
            xdp_mode: native
        encapsulation:
          source-4: 198.51.100.64/26
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            protocol: tcp
            mode: dsr-l2
            reals:
              - address: 198.51.100.11
                wieght: 1
                colour: blue
        """)
        #expect(errors.map(\.field) == [
            "interfaces[0].xdp_mode", "encapsulation.source-4", "services[0].reals[0].wieght", "services[0].reals[0].colour",
        ])
        #expect(errors.map(\.line) == [3, 5, 14, 15])
        #expect(errors.map(\.hint) == [
            "did you mean \"xdp-mode\"?", "did you mean \"source-v4\"?", "did you mean \"weight\"?", "known fields: address, port, weight, mac, backup, disabled, health-check",
        ])
    }
}
