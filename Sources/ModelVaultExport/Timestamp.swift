/// RFC 3339 text of a timestamp held as microseconds since the Unix epoch (UTC), always with six
/// fractional digits and `Z`: `2024-02-29T12:30:15.250000Z`. Every i64 is representable: a year
/// outside 0000–9999 is written with a sign and at least five digits (ISO 8601's expanded
/// form, `+292277-…` / `-000001-…`), which RFC 3339 itself cannot express.
enum Timestamp {
    static func text(microseconds: Int64) -> String {
        let perDay: Int64 = 86_400_000_000
        // Floor division, so times before the epoch fall on the day before.
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            days -= 1
            rest += perDay
        }
        let (year, month, day) = civil(fromDays: days)
        let seconds = rest / 1_000_000
        let fraction = rest % 1_000_000
        var out = yearText(year)
        out += "-" + padded(month, 2) + "-" + padded(day, 2)
        out += "T" + padded(seconds / 3600, 2) + ":" + padded(seconds / 60 % 60, 2) + ":" + padded(seconds % 60, 2)
        out += "." + padded(fraction, 6) + "Z"
        return out
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func yearText(_ year: Int64) -> String {
        if (0...9999).contains(year) { return padded(year, 4) }
        return (year < 0 ? "-" : "+") + padded(year.magnitude, 5)
    }

    private static func padded<T: BinaryInteger>(_ value: T, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
