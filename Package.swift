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
    ],
    targets: [
        // The ABI header shared with the XDP program (BPF/include/usher/abi.h), imported as is.
        .systemLibrary(name: "CUsherABI", path: "Sources/CUsherABI"),
        // libbpf and libxdp from Debian (libbpf-dev, libxdp-dev).
        .systemLibrary(name: "CLibBPF", path: "Sources/CLibBPF"),
        // Compiles BPF/*.c with the toolchain's clang and embeds the objects as Swift sources.
        .plugin(name: "BPFObjects", capability: .buildTool(), path: "Tools/Plugins/BPFObjects"),

        // The domain: services, real servers, config files, Maglev. Knows nothing of C or BPF.
        .target(name: "UsherCore", dependencies: [.product(name: "Yams", package: "Yams")]),
        // The one module that touches libbpf: loads the embedded objects, owns the pinned maps.
        .target(
            name: "UsherBPF",
            dependencies: ["UsherCore", "CUsherABI", "CLibBPF"],
            plugins: ["BPFObjects"]
        ),
        // The `usher` commands, one file each; the executable only calls into it.
        .target(
            name: "UsherCLI",
            dependencies: [
                "UsherCore", "UsherBPF",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "usher", dependencies: ["UsherCLI"]),

        .testTarget(name: "UsherCoreTests", dependencies: ["UsherCore"]),
        .testTarget(name: "UsherBPFTests", dependencies: ["UsherBPF", "UsherCore", "CUsherABI", "CLibBPF"]),
        .testTarget(name: "UsherCLITests", dependencies: ["UsherCLI", "UsherCore"]),
    ]
)
