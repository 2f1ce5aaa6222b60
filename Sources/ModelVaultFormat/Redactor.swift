/// How user data appears in output (`--redact`): as it is, or replaced by its length and a
/// digest, `<redacted:N bytes, sha256:XXXXXXXX>`, so a report can go on a support ticket
/// without the data in it while equal values still show equal.
///
/// User data is every record key and index key, whatever its type, and every value a message
/// quotes (strings, bytes, numbers). A value's bytes are its canonical key bytes
/// (`RowValue.canonicalKey`, docs/file-format.md §6.6): a string's UTF-8, a byte string's
/// raw bytes, a number's 8 little-endian bytes, a uuid's 16; so a key redacts to the same
/// text in a Record and in the Index entries written for it. Collection, field and index
/// names, enum variants and constraints belong to the schema, not the data: they are kept.
public struct Redactor: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// User data is shown as it is.
        case keep
        /// User data is replaced by `<redacted:N bytes, sha256:XXXXXXXX>`.
        case redact
    }

    public var mode: Mode

    public init(_ mode: Mode) { self.mode = mode }

    public static let keep = Redactor(.keep)
    public static let redact = Redactor(.redact)

    public var redacts: Bool { mode == .redact }

    /// `<redacted:N bytes, sha256:XXXXXXXX>`: N the byte count, then the first 8 lowercase hex
    /// digits of the bytes' SHA-256.
    public static func redacted(_ bytes: some Collection<UInt8>) -> String {
        let digest = SHA256.hash(bytes).prefix(4).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }
        return "<redacted:\(bytes.count) bytes, sha256:\(digest.joined())>"
    }

    /// `shown` when keeping, else the redacted form of `bytes`.
    public func render(_ bytes: some Collection<UInt8>, shown: @autoclosure () -> String) -> String {
        redacts ? Self.redacted(bytes) : shown()
    }

    /// A string value: quoted as Rust's `{:?}` quotes it, or redacted over its UTF-8.
    public func string(_ text: String) -> String {
        render(text.utf8, shown: RustText.debug(text))
    }

    /// A scalar value (a key, or a value a message quotes): `shown` when keeping, else redacted
    /// over its canonical key bytes. An absent optional is no data and is shown; a list or an
    /// object has no canonical bytes and redacts to a bare `<redacted>`.
    public func scalar(_ value: RowValue, shown: @autoclosure () -> String) -> String {
        guard redacts, value != .none else { return shown() }
        return value.canonicalKey.map(Self.redacted) ?? "<redacted>"
    }
}
