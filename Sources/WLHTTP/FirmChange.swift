import Foundation
import WLDomain
import WLPorts

/// An admin's change to a firm, from the management API's JSON (`PATCH /admin/firms/{id}`: an absent field stays,
/// `null` clears) or from the console's form (every field present; empty clears).
struct FirmChange: Sendable {
    var update = FirmUpdate()
    /// What changed, for the audit log.
    var detail: [String] = []

    /// Reads the fields named in `values` (`nil` value: clear).
    /// - Throws: `.validation` naming each bad field.
    init(_ values: [String: String?], current: Firm) throws {
        var errors: [String: [String]] = [:]
        for field in ["name", "status", "sms_rate"] where values[field] == .some(nil) {
            errors[field] = ["cannot be null"]
        }
        if let name = values["name"] ?? nil {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if (1...200).contains(trimmed.unicodeScalars.count), !NewFirm.hasControlCharacters(trimmed) {
                update.name = trimmed
                detail.append("name=\(trimmed)")
            } else {
                errors["name"] = ["1 to 200 characters, no control characters"]
            }
        }
        if let status = values["status"] ?? nil {
            if let parsed = FirmStatus(rawValue: status) {
                update.status = parsed
                detail.append("status=\(status)")
            } else {
                errors["status"] = ["active or suspended"]
            }
        }
        if let rate = values["sms_rate"] ?? nil {
            if let parsed = KES(rate), parsed.cents > 0, parsed <= NewFirm.maximumSMSRate {
                update.smsRate = parsed
                detail.append("sms_rate=\(parsed)")
            } else {
                errors["sms_rate"] = ["KES per credit, more than 0 and at most 10000, two decimals at most"]
            }
        }
        if let expiry = values["subscription_expires_at"] {
            if let expiry, !expiry.isEmpty {
                if let date = Self.date(expiry) {
                    update.subscriptionExpiresAt = .some(date)
                    detail.append("subscription_expires_at=\(expiry)")
                } else {
                    errors["subscription_expires_at"] = ["RFC 3339 time or YYYY-MM-DD"]
                }
            } else {
                update.subscriptionExpiresAt = .some(nil)
                detail.append("subscription_expires_at=none")
            }
        }
        if values.keys.contains("sender_id_transactional") || values.keys.contains("sender_id_promotional") {
            var senders = current.senderIDs
            for (field, path) in [("sender_id_transactional", \SenderIDs.transactional), ("sender_id_promotional", \SenderIDs.promotional)] {
                guard let value = values[field] else { continue }
                if let value, !value.isEmpty {
                    do {
                        senders[keyPath: path] = try SenderID(value, field: field)
                    } catch let error as DomainError {
                        errors.merge(error.fields.isEmpty ? [field: [error.message]] : error.fields) { $0 + $1 }
                    }
                } else {
                    senders[keyPath: path] = nil
                }
                detail.append("\(field)=\(value ?? "default")")
            }
            update.senderIDs = senders
        }
        if !errors.isEmpty { throw DomainError(.validation, "The firm's new values are not valid.", fields: errors) }
    }

    /// `2027-01-31T23:59:59+03:00`, or a date alone (the end of that day in East Africa Time).
    static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date("\(text)T23:59:59+03:00", strategy: .iso8601)
    }
}
