import Foundation
import Testing
import WLDomain

@Suite struct FirmTests {
    func firm(status: FirmStatus = .active, expiry: Date? = nil) -> Firm {
        Firm(
            id: 1, slug: "acme", name: "Acme", status: status, subscriptionExpiresAt: expiry, smsCredits: .zero,
            smsRate: KES(cents: 180), timezone: "Africa/Nairobi", mode: .live, createdAt: Date(timeIntervalSince1970: 0))
    }

    @Test func activeFirmWithoutExpiryMayUseTheAPI() {
        #expect(firm().accessDenial(at: Date()) == nil)
    }

    @Test func suspendedFirmIsDenied() {
        #expect(firm(status: .suspended).accessDenial(at: Date())?.code == .accountSuspended)
    }

    @Test func expiryIsExclusiveOfTheInstantItself() {
        let now = Date(timeIntervalSince1970: 1_000)
        #expect(firm(expiry: now.addingTimeInterval(1)).accessDenial(at: now) == nil)
        #expect(firm(expiry: now).accessDenial(at: now)?.code == .subscriptionExpired)
    }

    @Test func newFirmNamesEveryBadField() {
        #expect {
            try NewFirm(slug: "Bad Slug", name: " ", smsRate: KES(cents: 0), timezone: "Mars/Base")
        } throws: { error in
            guard let error = error as? DomainError else { return false }
            return error.code == .validation && Set(error.fields.keys) == ["slug", "name", "sms_rate", "timezone"]
        }
    }

    @Test(arguments: [("sandbox", true), ("acme-ltd-2", true), ("a", false), ("2acme", false), ("ACME", false), ("acme_ltd", false)])
    func slugRules(slug: String, valid: Bool) {
        #expect(NewFirm.isValidSlug(slug) == valid)
    }
}
