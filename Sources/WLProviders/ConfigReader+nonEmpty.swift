public import Configuration

extension ConfigReader {
    /// The string at `key`, or `nil` when it is unset or empty (an empty environment variable means "not set").
    public func nonEmptyString(forKey key: String, isSecret: Bool = false) -> String? {
        string(forKey: ConfigKey(key), isSecret: isSecret).flatMap { $0.isEmpty ? nil : $0 }
    }
}
