/// A value held by reference: a large optional value in a class's stored state, tested on a hot
/// path, costs a pointer test instead of a copy.
final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}
