import Foundation
import Testing
import WLPorts
import WLStore

extension ConformanceCheck {
    static let idempotency: [ConformanceCheck] = [
        ConformanceCheck("an idempotency key: proceed, in flight, replay, mismatch; per firm") { store in
            let acme = try await firmWithCredits(store, "acme", credits: 0)
            let other = try await firmWithCredits(store, "other", credits: 0)
            func claim(_ firm: Int64, _ hash: String, at seconds: TimeInterval = 0) async throws -> IdempotencyClaim {
                try await store.claimIdempotencyKey(
                    firmID: firm, key: "k-1", requestHash: hash, now: checkTime.addingTimeInterval(seconds), staleAfter: 600, expiry: 86_400)
            }
            #expect(try await claim(acme.id, "h1") == .proceed)
            #expect(try await claim(acme.id, "h1") == .inFlight)
            #expect(try await claim(acme.id, "h2") == .mismatch)
            #expect(try await claim(other.id, "h2") == .proceed)
            try await store.completeIdempotencyKey(firmID: acme.id, key: "k-1", claimedAt: checkTime, status: 202, body: #"{"a":1}"#, now: checkTime)
            #expect(try await claim(acme.id, "h1", at: 60) == .replay(status: 202, body: #"{"a":1}"#))
            #expect(try await claim(acme.id, "h2", at: 60) == .mismatch)
            // After 24 hours the key is new again, whatever the body.
            #expect(try await claim(acme.id, "h2", at: 86_400) == .proceed)
        },
        ConformanceCheck("an abandoned idempotency claim is taken over by the same request only, after staleAfter") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            func claim(_ hash: String, at seconds: TimeInterval) async throws -> IdempotencyClaim {
                try await store.claimIdempotencyKey(
                    firmID: firm.id, key: "k-2", requestHash: hash, now: checkTime.addingTimeInterval(seconds), staleAfter: 600, expiry: 86_400)
            }
            #expect(try await claim("h1", at: 0) == .proceed)
            #expect(try await claim("h1", at: 599) == .inFlight)
            #expect(try await claim("h2", at: 700) == .mismatch)
            #expect(try await claim("h1", at: 700) == .proceed)
            #expect(try await claim("h1", at: 701) == .inFlight)
            try await store.releaseIdempotencyKey(firmID: firm.id, key: "k-2", claimedAt: checkTime.addingTimeInterval(700))
            #expect(try await claim("h2", at: 702) == .proceed)
        },
        ConformanceCheck("a request whose idempotency claim was taken over neither completes nor releases it; the new owner does") { store in
            let firm = try await firmWithCredits(store, credits: 0)
            func claim(at seconds: TimeInterval) async throws -> IdempotencyClaim {
                try await store.claimIdempotencyKey(
                    firmID: firm.id, key: "k-3", requestHash: "h", now: checkTime.addingTimeInterval(seconds), staleAfter: 600, expiry: 86_400)
            }
            let first = checkTime
            let second = checkTime.addingTimeInterval(700)
            #expect(try await claim(at: 0) == .proceed)
            #expect(try await claim(at: 700) == .proceed)  // the first looked dead
            try await store.completeIdempotencyKey(firmID: firm.id, key: "k-3", claimedAt: first, status: 202, body: "first", now: second)
            try await store.releaseIdempotencyKey(firmID: firm.id, key: "k-3", claimedAt: first)
            #expect(try await claim(at: 701) == .inFlight)
            try await store.completeIdempotencyKey(firmID: firm.id, key: "k-3", claimedAt: second, status: 202, body: "second", now: second)
            try await store.releaseIdempotencyKey(firmID: firm.id, key: "k-3", claimedAt: second)
            #expect(try await claim(at: 702) == .replay(status: 202, body: "second"))
        },
    ]
}
