import ModelVaultCheck
import ModelVaultFormat

/// One-line decoded summaries of segment payloads, for listings (`walk`).
enum SegmentDescription {
    /// Record keys are rendered by `redactor`; collection names are schema, kept.
    static func describe(_ s: ObservedSegment, payload: UnsafeRawBufferPointer, redactor: Redactor = .keep) -> String {
        let type = s.summary.type
        let payloadLength = s.summary.payloadLength
        switch type {
        case .schema:
            switch s.catalogEntry {
            case .success(let entry)?:
                switch entry.kind {
                case .createCollection(let name, let primary):
                    return
                        "create collection #\(entry.collectionId) \"\(name)\": "
                        + "\(entry.fields.count) fields, \(entry.indexes.count) indexes, primary \(primary ?? "none") "
                        + "(catalog v\(entry.catalogVersion))"
                case .newSchemaVersion:
                    return
                        "schema version \(entry.schemaVersion) of collection #\(entry.collectionId): "
                        + "\(entry.fields.count) fields, \(entry.indexes.count) indexes "
                        + "(catalog v\(entry.catalogVersion))"
                }
            case .failure(let error)?: return "undecodable catalog entry: \(error)"
            case nil: return "catalog entry (payload CRC mismatch)"
            }
        case .record:
            return describeRecord(payload, at: s.payloadOffset, redactor: redactor)
        case .index:
            var reader = ByteReader(payload, baseOffset: s.payloadOffset)
            guard let version = try? reader.u16(), let count = try? reader.u32() else {
                return "index payload too short"
            }
            return "index v\(version): \(count) entr\(count == 1 ? "y" : "ies")"
        case .manifest:
            guard let m = try? ManifestPayload(parsing: payload, at: s.payloadOffset) else {
                return "undecodable manifest"
            }
            return "manifest -> \(m.lastSegmentOffset) (+\(m.lastSegmentLength))"
        case .checkpoint where payload.count < payloadLength:
            // Too large to hold: decoded as it streamed; its first bytes name replay_from_offset.
            guard payload.count >= 10 else { return "checkpoint of \(payloadLength) bytes" }
            let replayFrom = UnsafeRawBufferPointer(rebasing: payload[2..<10]).loadUnaligned(as: UInt64.self)
            return "checkpoint: replay from \(replayFrom) (\(payloadLength) bytes, decoded as it streamed)"
        case .checkpoint:
            guard
                let c = try? CheckpointPayload(
                    parsing: payload, at: s.payloadOffset, structureLimit: CheckOptions().catalogStructureLimit)
            else { return "undecodable checkpoint" }
            return
                "checkpoint: replay from \(c.replayFromOffset), \(c.catalogEntries.count) catalog entries, "
                + "\(c.rowCount) rows, index state \(c.indexRange.count) bytes"
        case .txnBegin, .txnCommit, .txnAbort:
            switch s.marker {
            case .success?: return describeMarker(type, role: s.role)
            case .failure(let fault)?: return "malformed marker: \(fault.formatError)"
            case nil: return "marker"
            }
        case .temp:
            return "scratch space (never replayed)"
        }
    }

    /// What a well-formed marker does to the transaction; its id is the segment's own, listed
    /// beside it.
    static func describeMarker(_ type: SegmentType, role: TransactionRole) -> String {
        switch (type, role) {
        case (.txnBegin, .begin): return "begin"
        case (.txnCommit, .commit(_, let beganAt)): return "commit of the transaction begun at \(beganAt)"
        case (.txnCommit, .abort): return "no commit: the transaction is dropped"
        case (.txnAbort, .abort): return "abort"
        default: return "no part in replay"
        }
    }

    static let ops: [UInt8: String] = [1: "insert", 2: "replace", 3: "delete"]

    static func describeRecord(_ payload: UnsafeRawBufferPointer, at offset: UInt64, redactor: Redactor) -> String {
        guard let preamble = try? RecordPreamble(parsing: payload, at: offset) else { return "undecodable record" }
        let op = ops[preamble.op] ?? "op \(preamble.op)"
        var text = "\(op) collection #\(preamble.collectionId) (schema v\(preamble.schemaVersion))"
        var reader = ByteReader(payload, baseOffset: offset)
        try? reader.skip(RecordPreamble.length)
        if let key = try? KeyText.read(&reader, redactor: redactor) { text += " key \(key)" }
        return text
    }
}

/// Displays a tagged scalar (docs/file-format.md §6.5) briefly: strings quoted and shortened;
/// or, redacted, any key as `Redactor` renders it, over its canonical bytes read whole.
enum KeyText {
    static func read(_ reader: inout ByteReader, redactor: Redactor = .keep) throws(FormatError) -> String {
        let tag = try reader.u8()
        if redactor.redacts && tag <= 7 { return Redactor.redacted(try canonicalBytes(tag: tag, &reader)) }
        switch tag {
        case 0: return try reader.u8() == 0 ? "false" : "true"
        case 1: return String(try reader.i64())
        case 2: return String(try reader.u64())
        case 3: return String(try reader.f64())
        case 4:
            let length = try reader.u32()
            let bytes = try reader.bytes(Int(min(length, 48)))
            let text = String(decoding: bytes, as: UTF8.self)
            return "\"" + text + (length > 48 ? "…" : "") + "\""
        case 5:
            let length = try reader.u32()
            return "<\(length) bytes>"
        case 6:
            let bytes = try reader.bytes(16)
            let hex = bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
            return hex
        case 7: return "@\(try reader.i64())µs"
        default: return "<tag \(tag)>"
        }
    }

    /// The canonical bytes (`RowValue.canonicalKey`) of a key whose tag (0...7) is read: a
    /// string's and a byte string's as they lie (valid UTF-8 or not), a number's 8
    /// little-endian bytes.
    static func canonicalBytes(tag: UInt8, _ reader: inout ByteReader) throws(FormatError) -> [UInt8] {
        let value: RowValue
        switch tag {
        case 0: value = .bool(try reader.u8() != 0)
        case 1: value = .int64(try reader.i64())
        case 2: value = .uint64(try reader.u64())
        case 3: value = .float64(try reader.f64())
        case 4, 5: return try reader.bytes(Int(try reader.u32()))
        case 6: return try reader.bytes(16)
        default: value = .timestamp(try reader.i64())  // 7
        }
        return value.canonicalKey ?? []
    }
}
