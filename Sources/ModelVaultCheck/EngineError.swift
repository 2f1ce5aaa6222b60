import ModelVaultFormat

/// The error ModelVault 0.16.0 raises when it refuses an open, as its Python binding shows it:
/// the exception class and exactly `str()` of the exception, so a report can be matched against
/// the text a user saw. `variant` is the engine's `details['variant']` (nil for an `OSError`).
public struct EngineError: Equatable, Sendable, CustomStringConvertible {
    public enum Exception: String, Sendable, CaseIterable {
        case format = "ModelVaultFormatError"
        case schema = "ModelVaultSchemaError"
        case validation = "ModelVaultValidationError"
        case os = "OSError"
    }

    public var exception: Exception
    public var message: String
    public var variant: EngineVariant?

    /// As Python's last traceback line prints it: `ModelVaultFormatError: format error: …`.
    public var description: String { "\(exception.rawValue): \(message)" }

    static func format(_ variant: EngineVariant, _ text: String) -> EngineError {
        EngineError(exception: .format, message: "format error: " + text, variant: variant)
    }

    static func schema(_ variant: EngineVariant, _ text: String) -> EngineError {
        EngineError(exception: .schema, message: "schema error: " + text, variant: variant)
    }

    /// A row the engine's validation refuses (it names no variant, only the path).
    static func validation(at path: String, _ text: String) -> EngineError {
        EngineError(exception: .validation, message: "validation error at \(path): " + text, variant: nil)
    }
}

// One factory per error the engine raises on open, each with the engine's own wording.
extension EngineError {
    /// A read of a structure that lies (partly) past the end of the file.
    static let readPastEnd = EngineError(exception: .os, message: "read past end of store", variant: nil)
    static let superblockChecksum = format(.badSuperblockChecksum, "superblock checksum mismatch")
    static let segmentHeaderChecksum = format(.badSegmentHeaderChecksum, "segment header checksum mismatch")
    static let segmentPayloadChecksum = format(.badSegmentPayloadChecksum, "segment payload checksum mismatch")
    static let uniqueIndexViolation = schema(.uniqueIndexViolation, "unique index violation")
    static let unframedDataSegment = invalidTxnPayload("unframed data segment in format minor 6")
    static let commitOutsideTransaction = invalidTxnPayload("TxnCommit outside transaction in replay")

    static func badMagic(_ got: [UInt8]) -> EngineError {
        format(.badMagic, "bad magic bytes: expected \"TDB0\", got \(debugBytes(got))")
    }

    static func badSegmentMagic(_ got: [UInt8]) -> EngineError {
        format(.badSegmentMagic, "bad segment magic bytes: expected \"TSG0\", got \(debugBytes(got))")
    }

    static func truncatedHeader(got: UInt64, expected: Int = Layout.fileHeaderSize) -> EngineError {
        format(.truncatedHeader, "truncated header: got \(got) bytes, expected \(expected)")
    }

    static func truncatedSuperblock(got: UInt64) -> EngineError {
        format(.truncatedSuperblock, "truncated superblock: got \(got) bytes, expected \(Layout.logStart)")
    }

    static func unsupportedVersion(major: UInt64, minor: UInt64) -> EngineError {
        format(.unsupportedVersion, "unsupported format version \(major).\(minor)")
    }

    static func invalidCatalogPayload(_ text: String) -> EngineError {
        format(.invalidCatalogPayload, "invalid catalog payload: " + text)
    }

    static func invalidTxnPayload(_ text: String) -> EngineError {
        format(.invalidTxnPayload, "invalid transaction marker payload: " + text)
    }

    static func invalidCheckpointPayload(_ text: String) -> EngineError {
        format(.invalidCheckpointPayload, "invalid checkpoint payload: " + text)
    }

    static func uncleanLogTail(reason: TruncateReason, safeEnd: UInt64) -> EngineError {
        format(
            .uncleanLogTail, "unclean log tail (strict open): \(reason.rawValue); safe truncate end offset \(safeEnd)")
    }

    static func unknownCollection(_ id: UInt32) -> EngineError {
        schema(.unknownCollection, "unknown collection id \(id)")
    }

    static func invalidSchemaVersion(expected: UInt32, got: UInt32) -> EngineError {
        schema(.invalidSchemaVersion, "invalid schema version: expected \(expected), got \(got)")
    }

    static func unexpectedCollectionId(expected: UInt32, got: UInt32) -> EngineError {
        schema(
            .unexpectedCollectionId, "unexpected collection id in catalog replay: expected \(expected), got \(got)")
    }

    /// A segment header the engine's checks refuse (the first failing check, in its order).
    static func segmentHeader(_ fault: SegmentHeaderFault) -> EngineError {
        switch fault {
        case .badMagic(let found): return badSegmentMagic(found)
        case .unsupportedVersion(let v): return unsupportedVersion(major: 0, minor: UInt64(v))
        case .unknownType(let t): return unsupportedVersion(major: 0, minor: UInt64(t))
        case .badHeaderLength(let l): return unsupportedVersion(major: 0, minor: UInt64(l & 0xFFFF))
        case .payloadTooLong(let l):
            return invalidCatalogPayload("segment payload length \(l) exceeds maximum \(Layout.maxPayloadLength)")
        case .unsupportedChecksumKind(let k): return unsupportedVersion(major: 0, minor: UInt64(k))
        case .headerChecksum: return segmentHeaderChecksum
        }
    }

    /// A transaction marker payload the engine refuses.
    static func txnMarker(_ error: FormatError) -> EngineError {
        switch error.kind {
        case .unsupported(_, let value): return invalidTxnPayload("unsupported txn payload version \(value)")
        case .checksumMismatch: return invalidTxnPayload("txn payload crc mismatch")
        case .wrongLength(_, let expected, let got): return invalidTxnPayload("expected \(expected) bytes, got \(got)")
        default: return invalidTxnPayload(error.description)
        }
    }

    /// Rust's `{:02x?}` of a byte array: `[54, 53, 47, 0a]`.
    static func debugBytes(_ bytes: [UInt8]) -> String {
        "["
            + bytes.map { b in
                let d = String(b, radix: 16)
                return d.count == 1 ? "0" + d : d
            }.joined(separator: ", ") + "]"
    }
}

extension EngineError {
    /// A Record or Index payload the engine cannot decode on replay.
    static func payloadDecode(_ error: RecordDecodeError) -> EngineError {
        let variant = error.variant
        switch error.variant {
        case .truncatedRecordPayload: return format(variant, "truncated record payload")
        case .trailingRecordPayload: return format(variant, "trailing bytes in record payload")
        case .recordPayloadTypeMismatch: return format(variant, "record payload type does not match schema")
        case .invalidRecordUTF8: return format(variant, "invalid UTF-8 in record string")
        case .recordPayloadUnsupportedType: return format(variant, "unsupported type in record payload v1")
        case .invalidFieldPath: return schema(variant, "invalid field path")
        case .unknownCollection, .invalidSchemaVersion: return schema(variant, error.message)
        case .unknownRecordPayloadVersion, .unsupportedVersion: return format(variant, error.message)
        case .invalidCatalogPayload:
            // The engine's cursor says only "unexpected eof" where the decoder says how short.
            return invalidCatalogPayload(error.message.hasPrefix("unexpected eof") ? "unexpected eof" : error.message)
        default:
            return format(variant, error.message)
        }
    }

    /// A Checkpoint payload that does not decode: its framing, or (full decode) its contents.
    static func checkpointPayload(_ error: FormatError) -> EngineError {
        switch error.kind {
        case .unsupported(_, let value): return unsupportedVersion(major: 0, minor: value)
        case .truncated: return invalidCatalogPayload("unexpected eof")
        case .trailingBytes: return invalidCatalogPayload("trailing bytes in checkpoint payload")
        default: return invalidCatalogPayload(error.description)
        }
    }
}

extension EngineError {
    /// A Schema payload the engine cannot decode: its catalog decoder names the fault with
    /// Rust's `Debug` of `CatalogDecodeError`.
    static func catalogDecode(_ error: FormatError) -> EngineError {
        switch error.kind {
        case .truncated: return invalidCatalogPayload("UnexpectedEof")
        case .trailingBytes: return invalidCatalogPayload("TrailingBytes")
        case .unsupported(.catalogVersion, let value):
            return invalidCatalogPayload("UnknownCatalogPayloadVersion { got: \(value) }")
        case .unsupported(.catalogEntryKind, let value):
            return invalidCatalogPayload("UnknownEntryKind { got: \(value) }")
        case .unsupported(.indexKind, let value): return invalidCatalogPayload("UnknownIndexKind { got: \(value) }")
        case .unsupported(.constraintTag, let value): return invalidCatalogPayload("unknown constraint tag \(value)")
        case .unsupported(.fieldTypeTag, let value): return invalidCatalogPayload("unknown type tag \(value)")
        case .tooLong(.collectionName, let length, _), .tooLong(.primaryField, let length, _):
            return invalidCatalogPayload("CollectionNameTooLong { got: \(length) }")
        case .tooLong(.indexName, let length, _): return invalidCatalogPayload("IndexNameTooLong { got: \(length) }")
        case .tooLong(.fieldCount, let length, let maximum):
            return invalidCatalogPayload("field count \(length) exceeds maximum \(maximum)")
        case .notUTF8: return invalidCatalogPayload("InvalidUtf8")
        case .nestingTooDeep(let maximum): return invalidCatalogPayload("TypeNestingTooDeep { max: \(maximum) }")
        case .empty(.collectionName): return invalidCatalogPayload("EmptyCollectionName")
        case .empty(.indexName): return invalidCatalogPayload("EmptyIndexName")
        case .pathWithoutSegments, .empty: return schema(.invalidFieldPath, "invalid field path")
        case .createSchemaVersion(let got): return invalidCatalogPayload("InvalidCreateSchemaVersion { got: \(got) }")
        default: return invalidCatalogPayload(error.description)
        }
    }

    /// A catalog entry that decodes but does not apply to the catalog replayed so far.
    static func catalogViolation(_ violation: Catalog.Violation) -> EngineError {
        switch violation.variant {
        case .unexpectedCollectionId, .unknownCollection, .invalidSchemaVersion, .invalidFieldPath,
            .primaryFieldNotFound, .primaryFieldMissingInSchema:
            return schema(violation.variant, violation.message)
        default:
            return format(violation.variant, violation.message)
        }
    }
}
