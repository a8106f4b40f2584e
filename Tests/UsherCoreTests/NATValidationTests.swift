import Testing
@testable import UsherCore

/// The rules of the NAT modes: which services take a pool or a real's port, and what a pool
/// may hold. Each refusal is located in the file and says what to write instead.
@Suite struct NATValidationTests {
    typealias File = NATReaderTests

    @Test func aNATServiceWithoutAPool() {
        let file = serviceFile(mode: "nat")
        expectOneError(file, line: 2, column: 5, field: "services[0].snat-pool",
                       message: "a nat service needs an SNAT pool, the source addresses its real servers see",
                       hint: "define a pool under `snat-pools:` (`- name: lb-snat` with `addresses: [198.51.100.3]`) and add `snat-pool: lb-snat`")
        let withPools = file + "snat-pools:\n  - name: outside\n    addresses: [198.51.100.3]\n"
        expectOneError(withPools, line: 2, field: "services[0].snat-pool", message: "a nat service needs an SNAT pool",
                       hint: "add `snat-pool:` naming one of outside")
    }

    @Test func aMisspeltPoolName() {
        expectOneError(File.natFile(snatPool: "lb-nsat"), line: 15, column: 16, field: "services[0].snat-pool",
                       message: "no SNAT pool named \"lb-nsat\"", hint: "did you mean \"lb-snat\"?")
    }

    @Test func aPoolOfTheOtherFamily() {
        let file = File.natFile(pool: ["- name: lb-snat", "  addresses: [2001:db8:2::3]"])
        expectOneError(file, line: 14, column: 16, field: "services[0].snat-pool",
                       message: "SNAT pool lb-snat holds IPv6 addresses, but the VIP 203.0.113.20 is IPv4",
                       hint: "name a pool of IPv4 addresses")
    }

    @Test(arguments: [
        ("gateway", "a gateway service keeps the client's address as the source: remove snat-pool, or set mode: nat"),
        ("dsr-l2", "remove it, or set mode: nat to have the reals see the balancer's addresses"),
        ("dsr-ipip", "remove it, or set mode: nat to have the reals see the balancer's addresses"),
    ])
    func aPoolForAnotherMode(mode: String, hint: String) {
        let file = File.natFile(mode: mode, real: ["- address: 198.51.100.11"])
            + "encapsulation:\n  source-v4: 198.51.100.64/26\n"
        expectOneError(file, line: 15, column: 16, field: "services[0].snat-pool",
                       message: "snat-pool is for nat services, not \(mode)", hint: hint)
    }

    @Test(arguments: ["dsr-l2", "dsr-ipip"])
    func aRealPortInADSRService(mode: String) {
        let file = serviceFile(mode: mode, reals: ["- address: 198.51.100.11", "  port: 8080"])
            + "encapsulation:\n  source-v4: 198.51.100.64/26\n"
        expectOneError(file, line: 9, column: 15, field: "services[0].reals[0].port",
                       message: "a \(mode) real answers from the VIP's port, so it cannot listen on port 8080",
                       hint: "remove port (the real listens on the service's port), or use mode nat or gateway, which translate ports")
    }

    @Test(arguments: ["nat", "gateway"])
    func aRealPortInAnEveryPortService(mode: String) {
        let file = File.natFile(mode: mode, snatPool: "lb-snat").replacingOccurrences(of: "port: 80\n", with: "port: \"*\"\n")
            .replacingOccurrences(of: "    snat-pool: lb-snat\n", with: mode == "nat" ? "    snat-pool: lb-snat\n" : "    hash: 5-tuple\n")
        expectOneError(file, line: 18, column: 15, field: "services[0].reals[0].port",
                       message: "a service on every port (\"*\") keeps each client's destination port; a real cannot give its own",
                       hint: "remove port, or give the service one port")
    }

    @Test(arguments: ["nat", "gateway"])
    func aRealOfTheOtherFamily(mode: String) {
        let file = File.natFile(mode: mode, real: ["- address: 198.51.100.11", "- address: 2001:db8::11"])
            .replacingOccurrences(of: "    snat-pool: lb-snat\n", with: mode == "nat" ? "    snat-pool: lb-snat\n" : "    hash: 5-tuple\n")
        expectOneError(file, line: 18, column: 18, field: "services[0].reals[1].address",
                       message: "IPv6 real 2001:db8::11 in a \(mode) service with an IPv4 VIP",
                       hint: "\(mode) rewrites addresses within one family")
    }

    @Test func anHTTPServiceTakesNoPool() {
        let file = """
        snat-pools:
          - name: lb-snat
            addresses: [198.51.100.3]
        services:
          - name: shop
            vip: 203.0.113.20
            port: 80
            protocol: tcp
            mode: http
            snat-pool: lb-snat
            pools: []
            rules:
              - redirect: { scheme: https }

        """
        expectOneError(file, line: 10, column: 16, field: "services[0].snat-pool", message: "snat-pool is for nat services, not http",
                       hint: "the proxy connects to its pools from this host's own addresses")
    }

    @Test func nameAndTimeoutRulesForConfigsBuiltByCommands() {
        var config = BalancerConfig(snatPools: [SNATPool(name: "a/b", addresses: [IPAddress("198.51.100.3")!])])
        config.nat.udpIdleSeconds = 0
        #expect(ConfigValidator.validate(config).map(\.description) == [
            "snat-pools[0].name: SNAT pool name \"a/b\" contains '/' (use 1 to 63 letters, digits, '.', '_' or '-', e.g. lb-snat)",
            "nat.udp-idle-timeout: udp-idle-timeout 0s is below 1s (use 1 to 604800 seconds (7 days), e.g. 900 or 15m)",
        ])
    }
}
