// swift-tools-version:5.9
import PackageDescription

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
        .target(name: "ModelVaultFormat", dependencies: ["CCRC32C"]),
        .target(name: "ModelVaultCheck", dependencies: ["ModelVaultFormat", "CZlib"]),
        .target(name: "FileOutput", dependencies: ["CZlib"]),
        .target(name: "ModelVaultRepair", dependencies: ["ModelVaultCheck", "FileOutput"]),
        .executableTarget(
            name: "mvfsck",
            dependencies: [
                "ModelVaultCheck",
                "ModelVaultRepair",
                "FileOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ModelVaultFormatTests", dependencies: ["ModelVaultFormat"]),
        .testTarget(name: "ModelVaultCheckTests", dependencies: ["ModelVaultCheck"]),
        .testTarget(name: "MVFsckTests", dependencies: ["mvfsck"]),
    ]
)
