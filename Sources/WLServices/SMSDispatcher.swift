public import Foundation
public import Logging
public import ServiceLifecycle
public import WLDomain
public import WLPorts

/// How the dispatcher paces itself.
public struct DispatcherSettings: Sendable {
    /// Messages claimed per round at first, and at least: the claim grows while batches are worked through faster
    /// than `batchTarget` (see ``ClaimSize``).
    public var batchSize = 200
    /// The most SMS claimed per round.
    public var maxBatchSize = 2_000
    /// How long working through one SMS batch should take; sets how far the claim grows above `batchSize`.
    public var batchTarget: Duration = .seconds(1)
    /// How long a claim holds; a crashed worker's messages are taken back after it. A busy worker renews it every
    /// third of it (see ``LeaseHeartbeat``).
    public var lease: TimeInterval = 60
    /// SMS provider calls of one batch in flight at once (one call per distinct text).
    public var providerConcurrency = 8
    /// Batches in flight at once in this instance: the next claim overlaps sending the last (see ``runRounds``).
    public var parallelBatches = 4
    /// The wait between rounds when there is nothing to do (a new blast wakes it sooner).
    public var pollInterval: Duration = .milliseconds(500)
    /// Provider attempts before a message fails for good (and is refunded).
    public var maxAttempts = 6
    /// The first retry waits this long; each later one twice as long, up to `maximumBackoff`, ±20 % jitter.
    public var baseBackoff: TimeInterval = 5
    public var maximumBackoff: TimeInterval = 600

    public init() {}

    /// The retry strategy these settings describe.
    public var retry: RetryPolicy { RetryPolicy(base: baseBackoff, cap: maximumBackoff, maxAttempts: maxAttempts) }

    /// After a transient failure of a message already tried `attempts` times: a retry after the backoff (at least
    /// `retryAfter` seconds), or, with the attempts used up, failure (refunded). `random` (0…1) draws the jitter.
    func retryOrGiveUp(
        attempts: Int, reason: String, retryAfter: Double?, now: Date, random: Double = .random(in: 0...1)
    ) -> DispatchOutcome {
        let attempt = attempts + 1
        switch retry.decide(afterAttempt: attempt, retryAfter: retryAfter, random: random) {
        case .giveUp: return .fail(response: "Gave up after \(attempt) attempts: \(reason)", refund: true)
        case .retry(let wait): return .retry(at: now.addingTimeInterval(wait), response: reason)
        }
    }
}

/// The sandbox number whose messages fail for insufficient credits, whatever the balance.
public let sandboxInsufficientCreditsNumber = "254700000088"

/// Claims due SMS in batches under a lease, charges each (a message that cannot be paid for fails, costing
/// nothing), hands them to the provider grouped by identical text (several calls at once, under a renewed lease:
/// see ``LeaseHeartbeat``), and records what happened. The claim and the charges are one store transaction; each
/// later step is one too, writing the status change, its ledger row and its event together.
///
/// Sandbox firms' messages go to the sandbox provider (nothing leaves the process); live firms' to the live one.
public final class SMSDispatcher: Service {
    let store: any Store
    let time: any TimeSource
    let live: any SMSProvider
    let sandbox: any SMSProvider
    let signal: WorkSignal
    let ready: ReadinessGate?
    let settings: DispatcherSettings
    /// The sending window of promotional SMS.
    let policy: PromotionalPolicy
    let owner: String
    /// What this dispatcher's overlapping batches are sending.
    let working = WorkingSet()
    let logger: Logger
    let metrics: any WorkMetrics
    /// The live provider's name in metrics.
    let liveName: String
    /// Records the answers of concurrent provider calls in shared transactions.
    let recorder: GroupCommit<[(messageID: Int64, outcome: DispatchOutcome)], Int>
    /// How many messages the next round claims.
    let claimSize: ClaimSize
    /// The accept path's kept opt-out lists: a firm's is forgotten when a refusal lists one of its numbers.
    let optOutCache: OptOutCache?
    /// Told after each claim whether it found a backlog, for the webhook deliverer (see ``DispatchBacklog``).
    let backlog: DispatchBacklog?
    /// Set once the process begins to stop: no round starts after it.
    let draining: Draining?

    public init(
        store: any Store, time: any TimeSource, live: any SMSProvider, sandbox: any SMSProvider, signal: WorkSignal,
        ready: ReadinessGate? = nil, settings: DispatcherSettings = DispatcherSettings(), policy: PromotionalPolicy = PromotionalPolicy(),
        logger: Logger, metrics: any WorkMetrics = NoWorkMetrics(), liveName: String = "africastalking", optOutCache: OptOutCache? = nil,
        backlog: DispatchBacklog? = nil, draining: Draining? = nil
    ) {
        self.draining = draining
        self.backlog = backlog
        self.optOutCache = optOutCache
        self.metrics = metrics
        self.liveName = liveName
        self.ready = ready
        self.policy = policy
        self.store = store
        self.time = time
        self.live = live
        self.sandbox = sandbox
        self.signal = signal
        self.settings = settings
        let owner = "sms-" + UUID().uuidString.prefix(8).lowercased()
        self.owner = owner
        self.logger = logger
        self.claimSize = ClaimSize(floor: settings.batchSize, ceiling: settings.maxBatchSize, target: settings.batchTarget)
        self.recorder = GroupCommit { batches in
            try await store.recordOutcomes(batches.flatMap { $0 }, leaseOwner: owner, now: time.now, patience: settings.lease).dropped(from: batches)
        }
    }

    /// Waits for `ready` (migrations), then dispatches until graceful shutdown; the round in flight finishes first, so nothing is left half-done
    /// (and anything a crash leaves is taken back when its lease expires).
    public func run() async throws {
        await runRounds(
            ready: ready, signal: signal, pollInterval: settings.pollInterval, parallel: settings.parallelBatches, draining: draining,
            logger: logger, failure: "dispatch round failed"
        ) {
            try await self.runOnce()
        }
    }

    /// One round: claim and charge (``claimSize`` messages, one transaction that writes each row once), send (one call
    /// per identical text and ``SMSProvider/recipientsPerCall``, `providerConcurrency` calls at once, under a renewed
    /// lease), record (transactions shared by the calls that answer together).
    /// - Returns: How many messages were claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let (claimedAt, started) = (time.now, ContinuousClock.now)
        let (policy, owner, limit) = (self.policy, self.owner, claimSize.next)
        let claimed: (ClaimedBatch, [Message])
        do {
            claimed = try await store.claimDue(channel: .sms, limit: limit, owner: owner, lease: settings.lease, now: claimedAt) {
                Self.decide($0, policy: policy, now: claimedAt)
            }
        } catch {
            // A failing claim works through nothing: webhooks need not wait for it.
            backlog?.note(claimed: 0, limit: limit, ceiling: claimSize.ceiling)
            throw error
        }
        let (batch, after) = claimed
        let ofBacklog = backlog?.note(claimed: batch.messages.count, limit: limit, ceiling: claimSize.ceiling) ?? false
        defer { if ofBacklog { backlog?.roundEnded() } }
        guard !after.isEmpty else { return 0 }
        countCharges(before: batch.messages, after: after)
        var groups: [GroupKey: [Message]] = [:]
        var order: [GroupKey] = []
        // A held message waits for a later round: its due time moved.
        for (claimed, ready) in zip(batch.messages, after) where ready.stage == .charged && ready.dueAt == claimed.dueAt {
            let firm = batch.firms[ready.firmID]
            let key = GroupKey(
                sandbox: firm?.mode == .sandbox, firmID: ready.firmID, category: ready.category,
                sender: firm?.senderIDs[ready.category]?.value, text: ready.body)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(ready)
        }
        let heartbeat = LeaseHeartbeat(store: store, owner: owner, working: working, lease: settings.lease, time: time, logger: logger)
        // One job per provider call: each checks the lease as it starts.
        let jobs = order.flatMap { key in
            let messages = groups[key] ?? []
            let size = max(1, (key.sandbox ? sandbox : live).recipientsPerCall)
            return stride(from: 0, to: messages.count, by: size).map { start in
                let call = Array(messages[start..<min(start + size, messages.count)])
                let window = batch.firms[key.firmID]?.promotionalWindow
                return (messageIDs: call.map(\.id), job: Group(key: key, messages: call, window: window))
            }
        }
        let dropped = await heartbeat.run(jobs, claimedAt: claimedAt, concurrency: settings.providerConcurrency) { group, held in
            let messages = group.messages.filter { held.contains($0.id) }
            // A promotion claimed just before quiet hours may reach its call after they began (a slow provider, a
            // long batch): it waits for the opening instead.
            if group.key.category == .promotional {
                let now = self.time.now
                let release = policy.releaseTime(for: .promotional, due: now, firmWindow: group.window)
                if release > now { return await self.hold(messages, until: release) }
            }
            return await self.send(group.key, messages)
        }.reduce(0, +)
        claimSize.observe(count: batch.messages.count, elapsed: ContinuousClock.now - started)
        if dropped > 0 {
            logger.warning("send outcomes dropped: the lease had passed to another worker", metadata: ["owner": "\(owner)", "count": "\(dropped)"])
        }
        return batch.messages.count
    }

    /// Messages with one text, sent in one provider call, and their firm's own window for promotions.
    struct Group: Sendable {
        var key: GroupKey
        var messages: [Message]
        var window: SendingWindow?
    }

    /// Holds charged messages for quiet hours until `release` (no attempt counted), in a shared transaction.
    /// - Returns: How many the store dropped because the lease had passed to another worker.
    private func hold(_ messages: [Message], until release: Date) async -> Int {
        do {
            return try await recorder.submit(messages.map { ($0.id, .hold(until: release, response: quietHoursResponse)) })
        } catch {
            logger.warning("could not hold messages for quiet hours", metadata: ["count": "\(messages.count)", "error": "\(error)"])
            return 0
        }
    }

    /// How long a round cancelled at the end of a shutdown's grace still waits for its answers to be written.
    static let answerPatience: Duration = .seconds(2)

    /// Sends one text to its messages and records the answers (in a transaction shared with the calls that answered
    /// at the same time).
    /// - Returns: How many outcomes the store dropped because the lease had passed to another worker.
    private func send(_ key: GroupKey, _ messages: [Message]) async -> Int {
        let provider = key.sandbox ? sandbox : live
        let outcomes = await provider.send(
            key.text, from: key.sender, to: messages.map { OutgoingSMS(messageID: $0.id, recipient: $0.recipient) })
        let now = time.now
        let records = messages.map { message in
            (message.id, outcome(outcomes[message.id] ?? .transient(reason: "No answer from the provider", retryAfter: nil), for: message, now: now))
        }
        count(records, messages, provider: key.sandbox ? "sandbox" : liveName)
        let blocked = messages.filter { if case .blacklisted = outcomes[$0.id] { true } else { false } }
        do {
            // A refusal for a blocked sender lists the number in the transaction that records it (DispatchRules); this
            // server's cached lists of those firms are dropped so that the next request sees it. Not cancelled with
            // the round (the end of a shutdown's grace): the provider has these texts, and an answer withdrawn here
            // would send them again once their lease ran out.
            let recorder = recorder
            let dropped = try await shielded(patience: Self.answerPatience) { try await recorder.submit(records) }
            if !blocked.isEmpty { optOutCache?.forget(firmIDs: Set(blocked.map(\.firmID))) }
            return dropped
        } catch {
            logger.warning("could not record send outcomes", metadata: ["count": "\(records.count)", "error": "\(error)"])
            return 0
        }
    }

    /// Counts the statuses these recorded outcomes move `messages` to, and the credits refunded.
    private func count(_ records: [(Int64, DispatchOutcome)], _ messages: [Message], provider: String) {
        let byID = Dictionary(uniqueKeysWithValues: messages.map { ($0.id, $0) })
        var counts: [String: (status: MessageStatus, category: SMSCategory, count: Int)] = [:]
        var refunded = Credits.zero
        for (id, outcome) in records {
            guard let message = byID[id] else { continue }
            let status: MessageStatus
            switch outcome {
            case .submitted(_, let report): status = report?.status ?? .processing
            case .fail(_, let refund):
                status = .failed
                if refund { refunded = refunded + message.credits }
            default: continue
            }
            counts["\(status.rawValue)/\(message.category.rawValue)", default: (status, message.category, 0)].count += 1
        }
        for entry in counts.values {
            metrics.messages(channel: .sms, status: entry.status, category: entry.category, provider: provider, count: entry.count)
        }
        if refunded > .zero { metrics.credits(kind: "refunded", amount: refunded) }
    }

    /// What may share one provider call: one text, from one firm, category and sender ID, to one provider.
    struct GroupKey: Hashable, Sendable {
        var sandbox: Bool
        var firmID: Int64
        var category: SMSCategory
        var sender: String?
        var text: String
    }

    /// Decides for each claimed message before any provider call (the store records it with the claim): a message to
    /// an opted-out number fails ("Opted out"; a queued one charged nothing, a charged one — a retry, a message held
    /// for quiet hours, or one taken back from a crashed worker — is refunded), a promotional one outside its firm's
    /// sending window waits for the next opening (charged ones too), a promotional one whose contact has no consent now
    /// (at a firm that requires it) fails like an opted-out one, the sandbox's insufficient-credits number fails,
    /// and every other queued message is charged (see ``DispatchRules``). Other charged messages are sent as they are.
    static func decide(_ batch: ClaimedBatch, policy: PromotionalPolicy, now: Date) -> [(messageID: Int64, outcome: DispatchOutcome)] {
        var outcomes: [(messageID: Int64, outcome: DispatchOutcome)] = []
        for message in batch.messages {
            let firm = batch.firms[message.firmID]
            let release = policy.releaseTime(for: message.category, due: now, firmWindow: firm?.promotionalWindow)
            if batch.optedOut.contains(FirmPhone(firmID: message.firmID, phone: message.recipient)) {
                outcomes.append((message.id, .fail(response: optedOutResponse, refund: message.stage == .charged)))
            } else if message.category == .promotional && batch.withoutConsent.contains(FirmPhone(firmID: message.firmID, phone: message.recipient)) {
                outcomes.append((message.id, .fail(response: noConsentResponse, refund: message.stage == .charged)))
            } else if release > now {
                outcomes.append((message.id, .hold(until: release, response: quietHoursResponse)))
            } else if message.stage == .charged {
                continue
            } else if firm?.mode == .sandbox && message.recipient == sandboxInsufficientCreditsNumber {
                outcomes.append((message.id, .fail(response: insufficientCreditsResponse, refund: false)))
            } else {
                outcomes.append((message.id, .charge))
            }
        }
        return outcomes
    }

    /// Counts the claim's refusals (failed before any provider call) and the credits it debited.
    private func countCharges(before: [Message], after: [Message]) {
        for category in SMSCategory.allCases {
            let failed = after.count(where: { $0.category == category && $0.status == .failed })
            if failed > 0 { metrics.messages(channel: .sms, status: .failed, category: category, provider: "none", count: failed) }
        }
        let charged = zip(before, after).filter { $0.stage == .queued && $1.stage == .charged }
        let debited = charged.reduce(Credits.zero) { $0 + $1.1.credits }
        if debited > .zero { metrics.credits(kind: "debited", amount: debited) }
    }

    /// What to record for the provider's answer about one message.
    private func outcome(_ answer: SendOutcome, for message: Message, now: Date) -> DispatchOutcome {
        switch answer {
        case .accepted(let providerMessageID, let report):
            return .submitted(providerMessageID: providerMessageID, report: report)
        case .rejected(let reason), .blacklisted(let reason):
            return .fail(response: reason, refund: true)
        case .transient(let reason, let retryAfter):
            return settings.retryOrGiveUp(attempts: message.attempts, reason: reason, retryAfter: retryAfter, now: now)
        }
    }
}
