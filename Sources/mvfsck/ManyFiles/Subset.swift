import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `--subset K/N`: share K (1 ≤ K ≤ N) of N, by the stable hash of each file's path relative to
/// the argument that found it, so N runs with K = 1 … N cover every file exactly once.
///
/// `--subset env` takes the share from the environment, as a scheduler that runs N copies of
/// one job sets it: the 0-based index from `MVFSCK_SHARD_INDEX`, else from
/// `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job's), and N from `MVFSCK_SHARDS`.
struct Subset: Equatable {
    var k: UInt64
    var n: UInt64

    static let fromEnvironment = "env"
    static let indexVariables = ["MVFSCK_SHARD_INDEX", "JOB_COMPLETION_INDEX"]
    static let countVariable = "MVFSCK_SHARDS"

    /// Whether a file with this relative path is in the share.
    func contains(relative: String) -> Bool {
        InputList.subsetHash(relative) % n == k - 1
    }

    /// The share an option value names; `environment` looks a variable up (tests pass their own).
    static func parse(
        _ text: String, environment: (String) -> String? = { getenv($0).map { String(cString: $0) } }
    ) throws(ValidationError) -> Subset {
        if text == fromEnvironment { return try fromVariables(environment) }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = UInt64(parts[0]), let n = UInt64(parts[1]), n >= 1, k >= 1, k <= n else {
            throw ValidationError("--subset takes K/N with 1 ≤ K ≤ N, e.g. 3/7, or env, got '\(text)'")
        }
        return Subset(k: k, n: n)
    }

    private static func fromVariables(_ environment: (String) -> String?) throws(ValidationError) -> Subset {
        let prefix = "--subset env: "
        guard let countText = environment(countVariable), !countText.isEmpty else {
            throw ValidationError(prefix + "\(countVariable) is not set (the number of shards, N)")
        }
        guard let n = wholeNumber(countText), n >= 1 else {
            throw ValidationError(prefix + "\(countVariable) must be a whole number of at least 1, got '\(countText)'")
        }
        let set = indexVariables.compactMap { name in environment(name).map { (name: name, value: $0) } }
        guard let (name, indexText) = set.first(where: { !$0.value.isEmpty }) else {
            throw ValidationError(
                prefix + "\(indexVariables[1]) is not set (the 0-based index of this shard; "
                    + "\(indexVariables[0]) may give it instead)")
        }
        guard let index = wholeNumber(indexText), index < n else {
            throw ValidationError(
                prefix + "\(name) must be a whole number from 0 to \(n - 1) (\(countVariable) is \(n)), "
                    + "got '\(indexText)'")
        }
        return Subset(k: index + 1, n: n)
    }

    /// Decimal digits only: no sign, no spaces.
    private static func wholeNumber(_ text: String) -> UInt64? {
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(text)
    }
}
