// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Usher",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "usher", targets: ["usher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The daemon's API, /metrics and status page (UsherAPI). No traits: no swift-configuration.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // The ABI header shared with the XDP program (BPF/include/usher/abi.h), imported as is.
        .systemLibrary(name: "CUsherABI", path: "Sources/CUsherABI"),
        // The benchmark programs' knobs and records (Benchmarks/BPF/include/usher/bench.h), imported as is.
        .systemLibrary(name: "CUsherBench", path: "Benchmarks/Sources/CUsherBench"),
        // libbpf and libxdp from Debian (libbpf-dev, libxdp-dev).
        .systemLibrary(name: "CLibBPF", path: "Sources/CLibBPF"),
        // The kernel's rtnetlink structs and constants (linux-libc-dev), for next hops; nothing to link.
        .systemLibrary(name: "CNetlink", path: "Sources/CNetlink"),
        // epoll and eventfd (glibc), for the health checks' prober thread; nothing to link.
        .systemLibrary(name: "CEpoll", path: "Sources/CEpoll"),
        // Compiles BPF/*.c (Benchmarks/BPF/*.c for the bench kit) with the toolchain's clang and
        // embeds the objects as Swift sources.
        .plugin(name: "BPFObjects", capability: .buildTool(), path: "Tools/Plugins/BPFObjects"),
        // Embeds a target's Embedded/ files (the OpenAPI document, the status page) as a Swift source.
        .plugin(name: "EmbedFiles", capability: .buildTool(), path: "Tools/Plugins/EmbedFiles"),

        // The domain: services, real servers, config files, Maglev. Knows nothing of C or BPF.
        .target(name: "UsherCore", dependencies: [.product(name: "Yams", package: "Yams")]),
        // The one module that touches libbpf: loads the embedded objects, owns the pinned maps,
        // and follows real servers' next hops over rtnetlink.
        .target(
            name: "UsherBPF",
            dependencies: ["UsherCore", "CUsherABI", "CLibBPF", "CNetlink"],
            plugins: ["BPFObjects"]
        ),
        // The orchestration every front end uses: lock, validate, overlay health, apply, persist, attach.
        .target(name: "UsherControl", dependencies: ["UsherCore", "UsherBPF"]),
        // The active/passive pair: keepalived's config rendered from `ha:`, keepalived supervised.
        .target(
            name: "UsherHA",
            dependencies: [
                "UsherCore", "UsherHealth",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `usher daemon`: the first apply, health checks into applies, reloads, systemd, the proxy.
        .target(
            name: "UsherDaemon",
            dependencies: [
                "UsherCore", "UsherBPF", "UsherControl", "UsherProxy", "UsherHA", "UsherBGP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The daemon's HTTP face: the REST API (handlers generated from openapi.yaml, so the two
        // cannot drift), /metrics for Prometheus, the status page; a Unix socket and optional TLS.
        .target(
            name: "UsherAPI",
            dependencies: [
                "UsherCore", "UsherBPF", "UsherControl", "UsherDaemon", "UsherProxy", "UsherBGP", "UsherHA",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Embedded"],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator"), "EmbedFiles"]
        ),
        // Flow-state sync between balancers: the message format, its HMAC, the service that
        // exchanges tracked flows and NAT translations with the peers over UDP.
        .target(
            name: "UsherSync",
            dependencies: [
                "UsherCore", "UsherBPF",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The VIPs announced over BGP: BIRD 2's config rendered from `bgp:`, bird supervised
        // beside the daemon, each VIP announced while one of its services has a real up.
        .target(
            name: "UsherBGP",
            dependencies: [
                "UsherCore", "UsherControl", "UsherHealth",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The log as RFC 5424 to the local syslog and remote ones (UDP, TCP), never making the daemon wait.
        .target(name: "UsherLogging", dependencies: ["UsherCore", .product(name: "Logging", package: "swift-log")]),
        // Alerts on state changes: a webhook and email over SMTP, rate-limited, on SwiftNIO.
        .target(
            name: "UsherAlerts",
            dependencies: [
                "UsherCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Health checks of every real of every service (L4 reals, L7 pool members), on SwiftNIO.
        .target(
            name: "UsherHealth",
            dependencies: [
                "UsherCore", "CEpoll",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The L7/TLS proxy on SwiftNIO for `http`/`https` services. Never touches BPF.
        .target(
            name: "UsherProxy",
            dependencies: [
                "UsherCore", "UsherHealth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `usher` commands, one file each; the executable only calls into it.
        .target(
            name: "UsherCLI",
            dependencies: [
                "UsherCore", "UsherBPF", "UsherControl", "UsherDaemon", "UsherHA", "UsherHealth", "UsherProxy", "UsherAPI", "UsherSync",
                "UsherLogging", "UsherAlerts", "UsherBGP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "usher", dependencies: ["UsherCLI"]),
        // The benchmark harness (Tools/bench, Docs/BENCHMARKS.md): its parts and report, and the command;
        // its own XDP programs (Benchmarks/BPF) embedded here, through UsherBPF's package API.
        .target(name: "UsherBenchKit", dependencies: [
            "UsherAPI", "UsherBPF", "UsherControl", "UsherCore", "UsherDaemon", "UsherHealth", "CUsherABI", "CUsherBench",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Benchmarks/Sources/UsherBenchKit", plugins: ["BPFObjects"]),
        .executableTarget(name: "usher-bench", dependencies: ["UsherBenchKit"], path: "Benchmarks/Sources/usher-bench"),

        .testTarget(name: "UsherCoreTests", dependencies: ["UsherCore"]),
        .testTarget(name: "UsherControlTests", dependencies: ["UsherControl", "UsherCore"]),
        .testTarget(name: "UsherAPITests", dependencies: ["UsherAPI"]),
        .testTarget(name: "UsherBGPTests", dependencies: ["UsherBGP", "UsherControl", "UsherCore", "UsherHealth"]),
        .testTarget(name: "UsherSyncTests", dependencies: ["UsherSync", "UsherBPF", "UsherCore", "CUsherABI", "UsherTestSupport"]),
        .testTarget(name: "UsherHATests", dependencies: ["UsherHA", "UsherCore", "UsherHealth"]),
        // Frames and privilege checks shared by the test targets that drive the kernel.
        .target(name: "UsherTestSupport", dependencies: ["UsherCore"], path: "Tests/UsherTestSupport"),
        .testTarget(name: "UsherBPFTests", dependencies: ["UsherBPF", "UsherCore", "CUsherABI", "CLibBPF", "CNetlink", "UsherTestSupport"]),
        .testTarget(name: "UsherCLITests", dependencies: ["UsherCLI", "UsherBPF", "UsherCore", "UsherProxy", "UsherTestSupport"]),
        // The benchmark harness's own correctness (the frame each iteration sees, the checks).
        .testTarget(name: "BenchmarkTests", dependencies: ["UsherBenchKit", "UsherBPF", "UsherCore", "UsherTestSupport"],
                    path: "Tests/BenchmarkTests"),
        .testTarget(
            name: "UsherHealthTests",
            dependencies: [
                "UsherHealth", "UsherCore", "UsherTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "UsherLoggingTests", dependencies: ["UsherLogging", "UsherCore", "UsherTestSupport",
                                                             .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "UsherAlertsTests",
            dependencies: [
                "UsherAlerts", "UsherCore", "UsherTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "UsherProxyTests",
            dependencies: [
                "UsherProxy", "UsherCore", "UsherHealth", "UsherTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
