import Foundation

/// A fresh, uniquely named directory under the system's temporary directory, removed with
/// everything in it when the value is released.
public final class TemporaryDirectory {
    public let url: URL

    /// Creates `<tmp>/<prefix>-<UUID>`.
    public init(_ prefix: String = "mvfsck") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public var path: String { url.path }

    /// An entry of the directory (it need not exist).
    public func url(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The path of an entry of the directory (it need not exist).
    public func path(_ name: String) -> String { url(name).path }

    /// The names of the entries in the directory, sorted.
    public var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}
