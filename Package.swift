// swift-tools-version:6.0
import PackageDescription

/// Release builds skip the runtime exclusivity checks on the hot path (debug builds and the
/// tests keep them): they cost more than checksumming the bytes.
let fast: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// The command line (parsing, orchestration, rendering reports) is not where the time goes:
/// built for size, it keeps the release binary under its budget (`scripts/release --check`).
let small: [SwiftSetting] = [.unsafeFlags(["-Osize"], .when(configuration: .release))]

let package = Package(
    name: "mvfsck",
    products: [
        .executable(name: "mvfsck", targets: ["mvfsck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CCRC32C", cSettings: [.unsafeFlags(["-O3"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "ModelVaultFormat", dependencies: ["CCRC32C"], swiftSettings: fast),
        .target(name: "ModelVaultCheck", dependencies: ["ModelVaultFormat", "CZlib", "Threads"], swiftSettings: fast),
        .target(name: "CFileCopy"),
        .target(name: "FileOutput", dependencies: ["CZlib", "CFileCopy"]),
        .target(name: "Threads"),
        .target(name: "ModelVaultRepair", dependencies: ["ModelVaultCheck", "FileOutput"], swiftSettings: fast),
        .target(
            name: "ModelVaultExport", dependencies: ["ModelVaultCheck", "ModelVaultRepair", "FileOutput", "Threads"],
            swiftSettings: fast),
        .executableTarget(
            name: "mvfsck",
            dependencies: [
                "ModelVaultCheck",
                "ModelVaultRepair",
                "ModelVaultExport",
                "FileOutput",
                "Threads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: small
        ),
        // Helpers shared by the test targets; not part of the product.
        .target(name: "TestSupport", dependencies: ["ModelVaultFormat"], path: "Tests/TestSupport"),
        .testTarget(name: "ModelVaultFormatTests", dependencies: ["ModelVaultFormat", "TestSupport"]),
        .testTarget(name: "ModelVaultCheckTests", dependencies: ["ModelVaultCheck", "Threads", "TestSupport"]),
        .testTarget(name: "MVFsckTests", dependencies: ["mvfsck", "TestSupport"]),
        .testTarget(name: "ModelVaultRepairTests", dependencies: ["ModelVaultRepair", "TestSupport"]),
        .testTarget(name: "ModelVaultExportTests", dependencies: ["ModelVaultExport", "TestSupport"]),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"]),
    ]
)
