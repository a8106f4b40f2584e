import Testing
@testable import UsherCore

/// The validator alone, as `usher service add` / `usher real add` use it on a config built in
/// memory: the same checks, errors by field path and without a file or line.
@Suite struct ConfigValidatorTests {
    static let vip = IPAddress("203.0.113.10")!
    static let real = IPAddress("198.51.100.11")!

    @Test func aValidConfigHasNoErrors() throws {
        let config = BalancerConfig(services: [
            VirtualService(name: "web", vip: Self.vip, port: 80, proto: .tcp, mode: .dsrL2, reals: [RealServer(address: Self.real)]),
        ])
        #expect(ConfigValidator.validate(config).isEmpty)
        try config.validate()
    }

    @Test func errorsFromAnEditedConfigHaveFieldPathsButNoPositions() {
        var config = BalancerConfig(services: [
            VirtualService(name: "web", vip: Self.vip, port: 80, proto: .tcp, mode: .dsrL2, reals: [RealServer(address: Self.real)]),
        ])
        // What `usher real add web 198.51.100.11 --weight 2000` and `usher service add web …` would do.
        config.services[0].reals.append(RealServer(address: Self.real, weight: 2000))
        config.services.append(VirtualService(name: "web", vip: Self.vip, port: 443, proto: .tcp, mode: .dsrIPIP))
        let errors = ConfigValidator.validate(config)
        #expect(errors.map(\.field) == [
            "services[0].reals[1].address", "services[0].reals[1].weight", "services[1].name", "services[1].mode",
        ])
        #expect(errors.allSatisfy { $0.file == nil && $0.line == nil && $0.column == nil && $0.hint != nil })
        #expect(errors[0].message == "real 198.51.100.11 is already listed at services[0].reals[0].address")
        #expect(errors[1].description == "services[0].reals[1].weight: weight 2000 is above 1000 "
            + "(use 0 (drain) to 1000; weights are relative, so 1 and 2 give a 1:2 split)")
        #expect(throws: ConfigErrors.self) { try config.validate() }
    }

    @Test func aWeightAbove1000IsOnlyReachableInMemory() {
        let config = BalancerConfig(services: [
            VirtualService(name: "web", vip: Self.vip, port: 80, proto: .tcp, mode: .dsrL2,
                           reals: [RealServer(address: Self.real, weight: 1001)]),
        ])
        #expect(ConfigValidator.validate(config).map(\.message) == ["weight 1001 is above 1000"])
    }

    @Test func nameChecksArePublicForTheCommandLine() {
        #expect(ConfigValidator.serviceNameProblem("web-1.prod_a") == nil)
        #expect(ConfigValidator.serviceNameProblem("wéb") == "service name \"wéb\" contains 'é'")
        #expect(ConfigValidator.interfaceNameProblem("veth-lb0") == nil)
        #expect(ConfigValidator.interfaceNameProblem("a:b") == "interface name \"a:b\" contains ':', which Linux does not allow")
        #expect(ConfigValidator.interfaceNameProblem("..") == "\"..\" cannot be an interface name")
        #expect(ConfigValidator.interfaceNameProblem(String(repeating: "e", count: 15)) == nil)
        #expect(ConfigValidator.interfaceNameProblem(String(repeating: "e", count: 16)) != nil)
    }

    @Test func primeHelpers() {
        #expect([7, 11, 65537, 131_071, 1_048_573].allSatisfy(Primes.isPrime))
        #expect(![1, 9, 65535, 65536, 1_048_575].contains(where: Primes.isPrime))
        #expect(Primes.nearest(to: 65536, in: ConfigValidator.maglevTableSizes) == 65537)
        #expect(Primes.nearest(to: 1000, in: ConfigValidator.maglevTableSizes) == 997)
        #expect(Primes.nearest(to: 0, in: ConfigValidator.maglevTableSizes) == 7)
        #expect(Primes.nearest(to: 5_000_000, in: ConfigValidator.maglevTableSizes) == 1_048_573)
    }
}
