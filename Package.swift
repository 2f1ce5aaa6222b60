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
        .target(name: "ModelVaultFormat", dependencies: ["CCRC32C"]),
        .target(name: "ModelVaultCheck", dependencies: ["ModelVaultFormat"]),
        .executableTarget(
            name: "mvfsck",
            dependencies: [
                "ModelVaultCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ModelVaultFormatTests", dependencies: ["ModelVaultFormat"]),
        .testTarget(name: "ModelVaultCheckTests", dependencies: ["ModelVaultCheck"]),
        .testTarget(name: "MVFsckTests", dependencies: ["mvfsck"]),
    ]
)
