public import Hummingbird

/// The contract's success envelope: `{"status":"success","message":…,"data":…}`.
public struct SuccessEnvelope<Data: Encodable & Sendable>: ResponseEncodable, Sendable {
    public let status = "success"
    public var message: String?
    public var data: Data

    public init(message: String? = nil, data: Data) {
        self.message = message
        self.data = data
    }
}

/// The one error envelope: `{"status":"error","code":…,"message":…,"errors":{"field":["…"]}}`.
public struct ErrorEnvelope: Codable, Sendable, Equatable {
    public var status = "error"
    /// A stable machine-readable code, e.g. `unauthenticated`, `validation_failed`.
    public var code: String
    public var message: String
    /// Field name to messages; present for validation errors only.
    public var errors: [String: [String]]?

    public init(code: String, message: String, errors: [String: [String]]? = nil) {
        self.code = code
        self.message = message
        self.errors = errors
    }
}
