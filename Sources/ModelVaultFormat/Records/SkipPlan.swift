/// How to check and step over a value of a declared type, worked out once per schema version.
///
/// A declared type can describe values that take no bytes at all (an object whose members all
/// take none, `object{}` at the simplest), and a list of them costs one step per element while
/// reading nothing: a few bytes of a hostile record could ask for 2^20 × 2^20 steps. The plan
/// drops every part that takes no bytes, so stepping over a value costs work in proportion to
/// the bytes it occupies, whatever the type declares. Such parts cannot fail to decode (they
/// read nothing), so the faults found, their order and their offsets are the decoder's.
public indirect enum SkipPlan: Equatable, Sendable {
    /// A value that occupies no bytes.
    case nothing
    /// A tagged scalar; the type names it in messages.
    case scalar(tag: UInt8, type: FieldType)
    case optional(SkipPlan)
    case list(SkipPlan)
    /// The members that occupy bytes, in declared order (never empty).
    case object([SkipPlan])
    case enumeration

    public init(_ type: FieldType) {
        if let tag = type.scalarTag {
            self = .scalar(tag: tag, type: type)
            return
        }
        switch type {
        case .optional(let inner): self = .optional(SkipPlan(inner))
        case .list(let element): self = .list(SkipPlan(element))
        case .object(let members):
            let occupying = members.map { SkipPlan($0.type) }.filter { !$0.occupiesNothing }
            self = occupying.isEmpty ? .nothing : .object(occupying)
        case .enumeration: self = .enumeration
        default: preconditionFailure("primitive types are handled above")
        }
    }

    var occupiesNothing: Bool {
        if case .nothing = self { return true }
        return false
    }
}

extension RowValue {
    /// Checks a row value as `init(parsing:as:)` decodes it and steps over it, following a plan
    /// worked out from its declared type. Counts one step in `reader.steps` per value visited,
    /// and polls for a stop request every 4096 steps: one record may hold 64 MiB of values.
    public static func skip(_ reader: inout ByteReader, plan: SkipPlan) throws(PayloadCheckError) {
        reader.steps += 1
        try PayloadCheckError.checkStop(every: reader.steps)
        switch plan {
        case .nothing:
            break
        case .scalar(let tag, let type):
            try PayloadCheckError.lifting { () throws(RecordDecodeError) in
                try TaggedScalar.skip(&reader, expecting: tag, what: "\(type.name) value")
            }
        case .optional(let inner):
            let present = try PayloadCheckError.lifting { () throws(RecordDecodeError) in try readPresence(&reader) }
            if present { try skip(&reader, plan: inner) }
        case .list(let element):
            let count = try PayloadCheckError.lifting { () throws(RecordDecodeError) in try readListCount(&reader) }
            if case .nothing = element { return }
            for _ in 0..<count { try skip(&reader, plan: element) }
        case .object(let members):
            for member in members { try skip(&reader, plan: member) }
        case .enumeration:
            try PayloadCheckError.lifting { () throws(RecordDecodeError) in
                try TaggedScalar.skip(&reader, expecting: 4, what: "enum value")
            }
        }
    }
}
