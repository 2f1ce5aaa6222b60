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
    /// An unknown collection whose Record also carries a record version other than 1–3: it can
    /// never replay, whenever its collection is registered.
    public var recordVersionUnknown = false

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
}

/// Why a check of a Record or Index payload (`RecordPayload.validate`,
/// `IndexPayload.forEachEntry`) stopped: a decode fault, or a stop request, which is no fault
/// of the input.
public enum PayloadCheckError: Error, Sendable {
    case fault(RecordDecodeError)
    case interrupted(StopRequest.Interrupted)

    /// `StopRequest.check(every:)`, thrown as `.interrupted`.
    @inline(__always)
    public static func checkStop(every iteration: Int) throws(PayloadCheckError) {
        do { try StopRequest.check(every: iteration) } catch { throw .interrupted(error) }
    }
}

/// An error a record read can end with: every decode fault is one.
protocol RecordReadError: Error {
    init(_ fault: RecordDecodeError)
}

extension RecordDecodeError: RecordReadError {
    init(_ fault: RecordDecodeError) { self = fault }
}

extension PayloadCheckError: RecordReadError {
    init(_ fault: RecordDecodeError) { self = .fault(fault) }
}

extension RecordReadError {
    /// Runs `body`, turning a reader fault into this error (as `RecordDecodeError(_:in:)` names it).
    static func mapping<T>(
        _ payload: RecordDecodeError.Payload = .record, _ body: () throws(FormatError) -> T
    ) throws(Self) -> T {
        do {
            return try body()
        } catch {
            throw Self(RecordDecodeError(error, in: payload))
        }
    }

    /// Runs `body`, turning a decode fault into this error.
    static func lifting<T>(_ body: () throws(RecordDecodeError) -> T) throws(Self) -> T {
        do {
            return try body()
        } catch {
            throw Self(error)
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
