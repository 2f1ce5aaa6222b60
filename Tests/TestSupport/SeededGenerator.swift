/// A random number generator that repeats its sequence for a given seed (a 64-bit linear
/// congruential generator), so that a test's random inputs are the same on every run.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
