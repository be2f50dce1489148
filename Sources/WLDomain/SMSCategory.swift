/// What an SMS is for, which decides its sender ID, whether quiet hours hold it and whether it carries the opt-out
/// footer (Safaricom's bulk SMS policy and the Communications Authority's consumer rules: see docs/kenya.md).
public enum SMSCategory: String, Codable, Sendable, CaseIterable {
    /// Account notices, receipts, one-time codes: sent at any hour, no footer. The default.
    case transactional
    /// Marketing: only inside the sending window, with the opt-out footer.
    case promotional
}
