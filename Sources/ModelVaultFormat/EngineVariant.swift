/// How ModelVault 0.16.0 names what it refuses (`details['variant']` of its errors): one case
/// per name, so code compares cases, never strings.
public enum EngineVariant: String, Sendable, CaseIterable, CustomStringConvertible {
    case badMagic = "bad_magic"
    case badSegmentMagic = "bad_segment_magic"
    case truncatedHeader = "truncated_header"
    case truncatedSuperblock = "truncated_superblock"
    case unsupportedVersion = "unsupported_version"
    case badSuperblockChecksum = "bad_superblock_checksum"
    case badSegmentHeaderChecksum = "bad_segment_header_checksum"
    case badSegmentPayloadChecksum = "bad_segment_payload_checksum"
    case invalidCatalogPayload = "invalid_catalog_payload"
    case invalidTxnPayload = "invalid_txn_payload"
    case invalidCheckpointPayload = "invalid_checkpoint_payload"
    case uncleanLogTail = "unclean_log_tail"
    case unknownCollection = "unknown_collection"
    case invalidSchemaVersion = "invalid_schema_version"
    case unexpectedCollectionId = "unexpected_collection_id"
    case invalidFieldPath = "invalid_field_path"
    case primaryFieldNotFound = "primary_field_not_found"
    case primaryFieldMissingInSchema = "primary_field_missing_in_schema"
    case uniqueIndexViolation = "unique_index_violation"
    case truncatedRecordPayload = "truncated_record_payload"
    case trailingRecordPayload = "trailing_record_payload"
    case recordPayloadTypeMismatch = "record_payload_type_mismatch"
    case unknownRecordPayloadVersion = "unknown_record_payload_version"
    case invalidRecordUTF8 = "invalid_record_utf8"
    case recordPayloadUnsupportedType = "record_payload_unsupported_type"

    /// The engine's name.
    public var description: String { rawValue }
}
