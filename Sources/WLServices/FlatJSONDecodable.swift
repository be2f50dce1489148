/// A request body that can be read by ``FlatJSONReader`` as well as by `JSONDecoder`, with the same result.
public protocol FlatJSONDecodable: Decodable {
    /// The value the fields stand for, or nil when `JSONDecoder` must read the body (it would refuse it, or the body
    /// has a form this initialiser does not take).
    init?(flatJSON fields: [FlatJSONReader.Field])
}
