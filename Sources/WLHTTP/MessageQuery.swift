import Foundation
import WLDomain
import WLPorts

/// Reads the list filters and cursor of `GET /sms` (and `GET /email`) from the query string.
struct MessageQuery {
    var filter: MessageFilter
    var limit: Int
    var startingAfter: Int64?

    /// The query parameters it reads.
    static func names(_ channel: Channel) -> Set<String> {
        PageQuery.names.union(["blast_id", "reference", "status", "recipient", "created_from", "created_to"])
            .union(channel == .sms ? ["category"] : [])
    }

    /// - Throws: `.validation` naming each bad parameter.
    init(_ query: [String: String], channel: Channel) throws {
        var errors: [String: [String]] = [:]
        // A parameter given empty is an error for typed ones, and no filter for plain text ones.
        func text(_ name: String) -> String? { query[name] }
        filter = MessageFilter(
            channel: channel, blastID: text("blast_id").flatMap { $0.isEmpty ? nil : $0 },
            reference: text("reference").flatMap { $0.isEmpty ? nil : $0 })
        let page = PageQuery(query, errors: &errors)
        limit = page.limit
        startingAfter = page.startingAfter
        if let raw = text("status") {
            if let status = MessageStatus(rawValue: raw) ?? Int(raw).flatMap(MessageStatus.init(code:)) {
                filter.status = status
            } else {
                errors["status"] = ["One of pending, processing, delivered, failed (or 0, 3, 1, 2)."]
            }
        }
        if let raw = text("category"), channel == .sms {
            if let category = SMSCategory(rawValue: raw) {
                filter.category = category
            } else {
                errors["category"] = ["One of transactional, promotional."]
            }
        }
        if let raw = text("recipient") {
            if channel == .sms {
                if let number = PhoneNumber(raw) {
                    filter.recipient = number.e164Digits
                } else {
                    errors["recipient"] = ["Not a Kenyan mobile number."]
                }
            } else if raw.contains("@") {
                filter.recipient = raw.lowercased()
            } else {
                errors["recipient"] = ["Not an email address."]
            }
        }
        for (name, keyPath) in [("created_from", \MessageFilter.createdFrom), ("created_to", \MessageFilter.createdTo)] {
            guard let raw = text(name) else { continue }
            if let date = SendTime.iso8601(raw) {
                filter[keyPath: keyPath] = date
            } else {
                errors[name] = ["An ISO 8601 time with an offset."]
            }
        }
        if !errors.isEmpty { throw DomainError(.validation, "The query is not valid.", fields: errors) }
    }
}
