import Foundation
import WLDomain
import WLServices

/// The context every signed-in page shares: title, CSRF token, who is signed in, the navigation and the notice a
/// redirect carried (by code, so a link cannot put words on the page).
enum PageChrome {
    /// Notices a form's redirect names with `?done=`.
    static let notices: [String: String] = [
        "key-revoked": "Key revoked. Requests with it now get 401.",
        "user-removed": "User removed. Their sessions have ended and they can no longer sign in.",
        "role-changed": "Role changed. It applies from the user's next page or request.",
        "webhook-saved": "Webhook URL saved.",
        "redelivered": "Delivery queued again.",
        "firm-saved": "Firm saved.",
        "firm-created": "Firm created.",
        "credits-adjusted": "Credits adjusted.",
        "password-changed": "Password changed. Every other session of yours has ended.",
    ]

    static func context(_ identity: ConsoleIdentity, title: String, current: String, request: [String: String]) -> [String: Any] {
        var context: [String: Any] = [
            "title": title, "csrf": identity.session.csrfToken, "userEmail": identity.user.email, "isAdmin": identity.user.role == .admin,
            "nav": nav(for: identity, current: current),
        ]
        if let firm = identity.firm { context["firmName"] = firm.name }
        if let notice = request["done"].flatMap({ notices[$0] }) { context["notice"] = notice }
        return context
    }

    static func nav(for identity: ConsoleIdentity?, current: String) -> [[String: Any]] {
        guard let identity else { return [] }
        let items: [(String, String)] =
            identity.user.role == .admin
            ? [("/console/admin/firms", "Firms"), ("/console/admin/audit", "Audit log")]
            : [
                ("/console/integration", "API Integration"), ("/console/credits", "Credits"), ("/console/messages", "Messages"),
                ("/console/contacts", "Contacts"), ("/console/users", "Users"),
            ]
        return items.map { ["href": $0.0, "label": $0.1, "current": $0.0 == current] }
    }

    /// A time in the firm's zone, short enough for a table.
    static func time(_ date: Date?, timezone: String) -> String {
        guard let date else { return "" }
        return String(FirmTime.format(date, timezone: timezone).prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}
