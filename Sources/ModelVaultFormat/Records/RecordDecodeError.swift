/// Why a Record or Index payload cannot be decoded, named as ModelVault 0.16.0 names it
/// (`details['variant']`), at the absolute offset of the offending byte.
///
/// Variants and their order of precedence were measured against the engine on altered copies
/// of the clean fixtures; several are not listed in docs/file-format.md §6.5 (see each case).
public struct RecordDecodeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The engine's names of decode faults (the Record and Index ones: truncated, trailing and
    /// mismatched payloads, unknown collections and versions, record payload versions, UTF-8,
    /// v1 field types, field paths, decode limits and Index faults as `invalid_catalog_payload`,
    /// Index payload versions as `unsupported_version`).
    public typealias Variant = EngineVariant

    public var variant: Variant
    public var message: String
    public var offset: UInt64

    public init(_ variant: Variant, _ message: String, at offset: UInt64) {
        self.variant = variant
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(variant.rawValue): \(message) at offset \(offset)" }

    /// Where a reader fault happened: the engine reports every Index payload fault as
    /// `invalid_catalog_payload`, a Record running short as `truncated_record_payload`.
    enum Payload { case record, index }

    /// Carries a reader fault into the engine's terms.
    init(_ error: FormatError, in payload: Payload) {
        switch (error.kind, payload) {
        case (.truncated(let needed, let available), .record):
            self.init(.truncatedRecordPayload, "needs \(needed) bytes, only \(available) remain", at: error.offset)
        case (.truncated(let needed, let available), .index):
            self.init(
                .invalidCatalogPayload, "unexpected eof: needs \(needed) bytes, only \(available) remain",
                at: error.offset)
        case (.tooLong(let field, let length, let maximum), _):
            self.init(.invalidCatalogPayload, "\(field) \(length) exceeds maximum \(maximum)", at: error.offset)
        case (_, .record):
            self.init(.recordPayloadTypeMismatch, error.description, at: error.offset)
        case (_, .index):
            self.init(.invalidCatalogPayload, error.description, at: error.offset)
        }
    }

    /// Runs `body`, turning any `FormatError` it throws into a `RecordDecodeError`.
    static func mapping<T>(_ payload: Payload = .record, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FormatError {
            throw RecordDecodeError(error, in: payload)
        }
    }
}

/// Sizes the record and index decoders accept (measured limits of 0.16.0).
public enum RecordLimits {
    /// Longest string, bytes value, index name, key or primary key (16 MiB).
    public static let maxValueLength = 16 * 1024 * 1024
    /// Most list elements or Index payload entries (2^20).
    public static let maxEntryCount = 1 << 20
}
