import AsyncHTTPClient
import Foundation
import Logging
import Testing
import WLDomain
import WLProviders
import WLServices

@Suite(.timeLimit(.minutes(1))) struct AfricasTalkingProviderTests {
    func provider(_ baseURL: String, timeout: Double = 5) -> AfricasTalkingProvider {
        AfricasTalkingProvider(
            settings: AfricasTalkingSettings(username: "tester", apiKey: "test-key", senderID: "WLTEST", baseURL: baseURL, timeout: timeout),
            client: .shared, logger: Logger(label: "test"))
    }

    let recipients = [
        OutgoingSMS(messageID: 1, recipient: "254711000001"), OutgoingSMS(messageID: 2, recipient: "254700000403"),
        OutgoingSMS(messageID: 3, recipient: "254700000406"), OutgoingSMS(messageID: 4, recipient: "254700000500"),
        OutgoingSMS(messageID: 5, recipient: "254700000502"),
    ]

    @Test func eachRecipientsStatusCodeDecidesItsOutcome() async throws {
        let fake = FakeAfricasTalking()
        try await fake.run { base in
            let outcomes = await provider(base).send("Hello & welcome", from: nil, to: recipients)
            #expect(outcomes[1] == .accepted(providerMessageID: "ATXid_0", report: nil))
            #expect(outcomes[2] == .rejected(reason: "InvalidPhoneNumber"))
            #expect(outcomes[3] == .blacklisted(reason: "UserInBlacklist"))
            #expect(outcomes[4] == .transient(reason: "InternalServerError", retryAfter: nil))
            #expect(outcomes[5] == .rejected(reason: "RejectedByGateway"))
            let call = try #require(fake.calls.withLock { $0.first })
            #expect(call.headers["accept"] == "application/json")
            #expect(call.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(call.form["to"] == "+254711000001,+254700000403,+254700000406,+254700000500,+254700000502")
            #expect(call.form["message"] == "Hello & welcome")
            #expect(call.form["from"] == "WLTEST")
            #expect(fake.calls.withLock { $0.count } == 1)
        }
    }

    @Test func aFirmsSenderIDReplacesTheDefault() async throws {
        let fake = FakeAfricasTalking()
        try await fake.run { base in
            _ = await provider(base).send("Hi", from: "ACMEInfo", to: Array(recipients.prefix(1)))
            #expect(fake.calls.withLock { $0.first?.form["from"] } == "ACMEInfo")
        }
    }

    @Test(arguments: [(503, "transient"), (500, "transient"), (401, "transient"), (400, "rejected")])
    func aFailedCallDecidesForEveryRecipient(status: Int, kind: String) async throws {
        let fake = FakeAfricasTalking()
        fake.override.withLock { $0 = (status, "There was an internal server error.", [:]) }
        try await fake.run { base in
            let outcomes = await provider(base).send("Hi", from: nil, to: Array(recipients.prefix(2)))
            #expect(outcomes.count == 2)
            for outcome in outcomes.values {
                switch outcome {
                case .transient: #expect(kind == "transient")
                case .rejected: #expect(kind == "rejected")
                case .blacklisted: Issue.record("blacklisted on HTTP \(status)")
                case .accepted: Issue.record("accepted on HTTP \(status)")
                }
            }
        }
    }

    @Test func rateLimitsHonourRetryAfter() async throws {
        let fake = FakeAfricasTalking()
        fake.override.withLock { $0 = (429, "Too Many Requests", ["Retry-After": "7"]) }
        try await fake.run { base in
            let outcomes = await provider(base).send("Hi", from: nil, to: Array(recipients.prefix(1)))
            #expect(outcomes[1] == .transient(reason: "Provider rate limit (HTTP 429)", retryAfter: 7))
        }
    }

    @Test(arguments: ["inf", "nan", "-3", "soon"])
    func aRetryAfterThatIsNotASaneNumberIsIgnored(header: String) async throws {
        let fake = FakeAfricasTalking()
        fake.override.withLock { $0 = (429, "Too Many Requests", ["Retry-After": header]) }
        try await fake.run { base in
            let outcomes = await provider(base).send("Hi", from: nil, to: Array(recipients.prefix(1)))
            #expect(outcomes[1] == .transient(reason: "Provider rate limit (HTTP 429)", retryAfter: nil))
        }
    }

    @Test func anInvalidSenderIdRefusesEveryone() async throws {
        let fake = FakeAfricasTalking()
        fake.override.withLock { $0 = (201, #"{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}"#, [:]) }
        try await fake.run { base in
            let outcomes = await provider(base).send("Hi", from: nil, to: Array(recipients.prefix(2)))
            #expect(outcomes == [1: .rejected(reason: "InvalidSenderId"), 2: .rejected(reason: "InvalidSenderId")])
        }
    }

    @Test func aSlowProviderTimesOutAsTransient() async throws {
        let fake = FakeAfricasTalking()
        // The answer comes only once the outcome is in: an outcome at all means the provider did not wait for it.
        fake.held.withLock { $0 = true }
        try await fake.run { base in
            let start = ContinuousClock.now
            let outcomes = await provider(base, timeout: 0.3).send("Hi", from: nil, to: Array(recipients.prefix(1)))
            let elapsed = ContinuousClock.now - start
            fake.held.withLock { $0 = false }
            #expect(outcomes[1] == .transient(reason: "Provider unreachable: no complete answer within 300 ms", retryAfter: nil))
            #expect(fake.calls.withLock { $0.count } == 1)
            #expect(elapsed < .seconds(10), "took \(elapsed)")
        }
    }

    @Test func aBodyThatNeverCompletesTimesOutAsTransient() async throws {
        let fake = FakeAfricasTalking()
        fake.trickle.withLock { $0 = true }
        try await fake.run { base in
            let start = ContinuousClock.now
            let outcomes = await provider(base, timeout: 1).send("Hi", from: nil, to: Array(recipients.prefix(1)))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(10), "took \(elapsed)")
            #expect(outcomes[1] == .transient(reason: "Provider unreachable: no complete answer within 1000 ms", retryAfter: nil))
        }
    }

    @Test func nobodyIsUnreachableForLong() async throws {
        let start = ContinuousClock.now
        let outcomes = await provider("http://127.0.0.1:1").send("Hi", from: nil, to: Array(recipients.prefix(1)))
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(10), "took \(elapsed)")
        guard case .transient(let reason, let retryAfter) = outcomes[1] else {
            Issue.record("expected a transient failure, got \(String(describing: outcomes[1]))")
            return
        }
        #expect(reason.hasPrefix("Provider unreachable: ") && retryAfter == nil, "\(reason)")
    }
}

@Suite struct FormEncodingTests {
    @Test func roundTripsEveryCharacter() {
        let fields = [("message", "Habari 😀 a+b=c&d %20 /?"), ("to", "+254711000001,+254700000099")]
        let encoded = FormEncoding.encode(fields)
        #expect(!encoded.contains(" ") && !encoded.contains("+2"))
        #expect(FormEncoding.decode(encoded) == Dictionary(uniqueKeysWithValues: fields))
        #expect(FormEncoding.decode("a=1+2&b=%2B&a=ignored") == ["a": "1 2", "b": "+"])
    }
}
