import Foundation
public import Logging
public import ServiceLifecycle
public import WLDomain
public import WLPorts

/// Where tracking links point and how they are signed.
public struct TrackingSettings: Sendable {
    /// The public base URL of this service (`https://api.example.com`).
    public var baseURL: String
    public var keyring: TrackingKeyring

    public init(baseURL: String, keyring: TrackingKeyring) {
        self.baseURL = baseURL
        self.keyring = keyring
    }
}

/// Claims due emails under a lease, builds each one's MIME message (the firm's sender identity, tracking when on),
/// hands it to the transport (several at once), and records what the relay said: delivered, failed (a 5xx at RCPT
/// also suppresses the address), or retried with backoff.
public final class EmailDispatcher: Service {
    let store: any Store
    let time: any TimeSource
    let live: any EmailTransport
    let sandbox: any EmailTransport
    let tracking: TrackingSettings
    /// The From address of firms that set none.
    let defaultFrom: EmailAddress?
    let signal: WorkSignal
    let ready: ReadinessGate?
    let settings: DispatcherSettings
    /// Emails handed to the transport at once.
    let concurrency: Int
    let owner: String
    /// Records the relay's answers as they come, in transactions shared by the sends that answer together.
    let recorder: GroupCommit<[(messageID: Int64, outcome: DispatchOutcome)], [Message]>
    /// What this dispatcher's overlapping batches are sending.
    let working = WorkingSet()
    let logger: Logger
    let metrics: any WorkMetrics
    /// Set once the process begins to stop: no round starts after it.
    let draining: Draining?

    public init(
        store: any Store, time: any TimeSource, live: any EmailTransport, sandbox: any EmailTransport, tracking: TrackingSettings,
        defaultFrom: EmailAddress?, signal: WorkSignal, ready: ReadinessGate? = nil, settings: DispatcherSettings = DispatcherSettings(),
        concurrency: Int = 4, logger: Logger, metrics: any WorkMetrics = NoWorkMetrics(), draining: Draining? = nil
    ) {
        self.draining = draining
        self.metrics = metrics
        self.store = store
        self.time = time
        self.live = live
        self.sandbox = sandbox
        self.tracking = tracking
        self.defaultFrom = defaultFrom
        self.signal = signal
        self.ready = ready
        self.settings = settings
        self.concurrency = max(1, concurrency)
        self.logger = logger
        let owner = "email-" + UUID().uuidString.prefix(8).lowercased()
        self.owner = owner
        self.recorder = GroupCommit { batches in
            let recorded = try await store.recordOutcomes(batches.flatMap { $0 }, leaseOwner: owner, now: time.now, patience: settings.lease)
            let byID = Dictionary(recorded.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
            return batches.map { batch in batch.compactMap { byID[$0.messageID] } }
        }
    }

    public func run() async throws {
        await runRounds(
            ready: ready, signal: signal, pollInterval: settings.pollInterval, parallel: settings.parallelBatches, draining: draining,
            logger: logger, failure: "email dispatch round failed"
        ) {
            try await self.runOnce()
        }
    }

    /// One round: claim, mark processing (one transaction), send `concurrency` at a time, and record each answer as it
    /// comes (in transactions shared by the answers that come together).
    ///
    /// Recorded one by one, not once at the end: a batch's last write failing (the database away past the lease, a
    /// shutdown's grace running out) must not leave every email of it, already sent, to be sent again when its lease
    /// runs out; at most those answered at that moment are.
    /// - Returns: How many emails were claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let claimedAt = time.now
        let claimed = try await store.claimDue(channel: .email, limit: settings.batchSize, owner: owner, lease: settings.lease, now: claimedAt)
        guard !claimed.isEmpty else { return 0 }
        let ready = try await store.charge(claimed, leaseOwner: owner, now: time.now)
        var found: [Int64: Sender] = [:]
        for firmID in Set(ready.map(\.firmID)) { found[firmID] = try await sender(firmID: firmID) }
        let bodies = try await prepareBodies(ready, senders: found)
        let suppressed = try await suppressedSinceAccepted(ready)
        let results = await sendAll(ready, claimedAt: claimedAt, senders: found, bodies: bodies, suppressed: suppressed)
        var counts: [String: (status: MessageStatus, provider: String, count: Int)] = [:]
        for message in results.compactMap(\.self) where message.status.isFinal {
            let provider = found[message.firmID]?.sandbox == true ? "sandbox" : "smtp"
            counts["\(message.status.rawValue)/\(provider)", default: (message.status, provider, 0)].count += 1
        }
        for entry in counts.values {
            metrics.messages(channel: .email, status: entry.status, category: nil, provider: entry.provider, count: entry.count)
        }
        let dropped = results.count(where: { $0 == nil })
        if dropped > 0 {
            logger.warning(
                "email outcomes dropped: the lease had passed to another worker or the write failed",
                metadata: ["owner": "\(owner)", "count": "\(dropped)"])
        }
        return claimed.count
    }

    /// The messages whose address their firm suppressed after they were accepted (a later hard bounce, `wlcomm
    /// suppression add`): they fail "Suppressed" without being sent, as the request would have skipped them.
    private func suppressedSinceAccepted(_ messages: [Message]) async throws -> Set<Int64> {
        var ids: Set<Int64> = []
        for (firmID, group) in Dictionary(grouping: messages, by: \.firmID) {
            let listed = try await store.suppressed(firmID: firmID, among: Array(Set(group.map { $0.recipient.lowercased() })))
            for message in group where listed.contains(message.recipient.lowercased()) { ids.insert(message.id) }
        }
        return ids
    }

    /// Answers recorded together: a batch's answers are written in chunks of this many (or of what came within a
    /// second), not one by one (a transaction per email cost a third of the throughput to a fast relay) and not once at
    /// the end (where one failed write sent the whole batch again).
    static let recordChunk = 50

    /// What the chunk writer hears: an answer, or a second passing.
    private enum ChunkEvent: Sendable {
        case answer(Message, EmailSendOutcome)
        case tick
    }

    /// Sends `concurrency` at a time under the batch's lease, renewed every third of it while a slow relay works, and
    /// records the answers as they come, in chunks (``recordChunk``): no other instance takes them over and sends
    /// them again, and no email is started once its lease is lost (see ``LeaseHeartbeat``). Each email stays in the
    /// worker's ``WorkingSet`` until its answer is written.
    /// - Returns: Each sent email as recorded, `nil` for one whose answer was not (its lease had passed, or the write
    ///   failed).
    private func sendAll(
        _ messages: [Message], claimedAt: Date, senders: [Int64: Sender], bodies: [Int64: PreparedBody], suppressed: Set<Int64>
    ) async -> [Message?] {
        let heartbeat = LeaseHeartbeat(store: store, owner: owner, working: working, lease: settings.lease, time: time, logger: logger)
        let (events, sink) = AsyncStream.makeStream(of: ChunkEvent.self)
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                sink.yield(.tick)
            }
        }
        defer { ticker.cancel() }
        async let recorded = recordInChunks(events)
        _ = await heartbeat.run(
            messages.map { ([$0.id], $0) }, claimedAt: claimedAt, concurrency: concurrency, handback: .afterItsAnswerIsWritten
        ) { message, _ in
            let outcome: EmailSendOutcome
            if suppressed.contains(message.id) {
                outcome = .rejected(response: suppressedResponse, suppress: false)
            } else {
                outcome = await self.send(message, senders[message.firmID], bodies[message.id])
            }
            sink.yield(.answer(message, outcome))
        }
        sink.finish()
        return await recorded
    }

    /// Records the answers `events` brings, a chunk at a time: once ``recordChunk`` are waiting, once the oldest
    /// waiting one is a second old, and what is left when the batch ends; then gives them back to the ``WorkingSet``.
    private func recordInChunks(_ events: AsyncStream<ChunkEvent>) async -> [Message?] {
        var waiting: [(Message, EmailSendOutcome)] = []
        var oldest = ContinuousClock.now
        var recorded: [Message?] = []
        func write() async {
            recorded += await record(waiting)
            working.release(Set(waiting.map(\.0.id)))
            waiting = []
        }
        for await event in events {
            if case .answer(let message, let outcome) = event {
                if waiting.isEmpty { oldest = .now }
                waiting.append((message, outcome))
            }
            if waiting.count >= Self.recordChunk || (!waiting.isEmpty && ContinuousClock.now - oldest >= .seconds(1)) { await write() }
        }
        if !waiting.isEmpty { await write() }
        return recorded
    }

    /// Records what the relay answered for these emails (and suppresses the addresses a 5xx refused, after the
    /// answers: a suppression that cannot be written must not stop them being recorded). When the shared write fails,
    /// each answer is tried alone, so only an answer at fault stays unrecorded.
    /// - Returns: Each message as recorded, `nil` for one that was not.
    private func record(_ answers: [(Message, EmailSendOutcome)]) async -> [Message?] {
        let now = time.now
        var records: [(messageID: Int64, outcome: DispatchOutcome)] = []
        var suppressions: [(message: Message, reason: String)] = []
        for (message, sent) in answers {
            switch sent {
            case .delivered(let response):
                records.append(
                    (
                        message.id,
                        .submitted(
                            providerMessageID: "email-\(message.id)", report: DeliveryReport(status: .delivered, response: response, network: nil))
                    ))
            case .rejected(let response, let suppress):
                if suppress { suppressions.append((message, response)) }
                records.append((message.id, .fail(response: response, refund: false)))
            case .transient(let response):
                records.append((message.id, settings.retryOrGiveUp(attempts: message.attempts, reason: response, retryAfter: nil, now: now)))
            }
        }
        var byID: [Int64: Message] = [:]
        // Not cancelled with the round (the end of a shutdown's grace): these emails are sent, and an answer dropped
        // here would send them again once their lease ran out.
        let recorder = recorder
        let write = { (records: [(messageID: Int64, outcome: DispatchOutcome)]) -> Result<[Message], any Error> in
            do {
                return .success(try await shielded(patience: SMSDispatcher.answerPatience) { try await recorder.submit(records) })
            } catch {
                return .failure(error)
            }
        }
        switch await write(records) {
        case .success(let messages):
            for message in messages { byID[message.id] = message }
        case .failure(let error) where error.isDatabaseUnavailable || error is CancellationError || records.count == 1:
            // An outage was already waited out for a lease: one by one would wait that long again for each; and a
            // round cancelled past its patience must not start a write per answer, each waiting the patience again.
            logger.warning("could not record email outcomes", metadata: ["count": "\(records.count)", "error": "\(error)"])
        case .failure:
            for record in records {
                switch await write([record]) {
                case .success(let messages):
                    for message in messages { byID[message.id] = message }
                case .failure(let error):
                    logger.warning("could not record an email's outcome", metadata: ["message_id": "\(record.messageID)", "error": "\(error)"])
                }
            }
        }
        for (message, reason) in suppressions {
            do {
                try await store.suppressRecipient(ofMessage: message.id, reason: reason, now: now)
            } catch {
                logger.warning("could not suppress a refused address", metadata: ["message_id": "\(message.id)", "error": "\(error)"])
            }
        }
        return answers.map { byID[$0.0.id] }
    }

    /// A firm's sender identity, transport and tracking switch for this round.
    struct Sender: Sendable {
        var from: Mailbox?
        var replyTo: EmailAddress?
        var tracking: Bool
        var sandbox: Bool
    }

    private func sender(firmID: Int64) async throws -> Sender {
        let firm = try await store.firm(id: firmID)
        let settings = try await store.emailSettings(firmID: firmID)
        let from = (settings.from ?? defaultFrom).map { Mailbox(address: $0, name: settings.fromName ?? firm?.name) }
        return Sender(from: from, replyTo: settings.replyTo, tracking: settings.tracking, sandbox: firm?.mode == .sandbox)
    }

    /// Each message's body made ready on the render thread: a blast's shared template once for all its messages, a
    /// personalised body once for its message.
    private func prepareBodies(_ messages: [Message], senders: [Int64: Sender]) async throws -> [Int64: PreparedBody] {
        let templates = try await store.blastTemplates(ids: Set(messages.filter { $0.body.isEmpty }.map(\.blastID)))
        let canTrack = tracking.keyring.signer != nil
        return await RenderExecutor.shared.run {
            var shared: [String: PreparedBody] = [:]
            var prepared: [Int64: PreparedBody] = [:]
            for message in messages {
                let tracked = canTrack && senders[message.firmID]?.tracking == true
                let isHTML = message.encoding == "html"
                if !message.body.isEmpty {
                    prepared[message.id] = PreparedBody(body: message.body, isHTML: isHTML, tracked: tracked)
                } else if let body = shared[message.blastID] {
                    prepared[message.id] = body
                } else if let template = templates[message.blastID] {
                    let body = PreparedBody(body: template, isHTML: isHTML, tracked: tracked)
                    shared[message.blastID] = body
                    prepared[message.id] = body
                }
            }
            return prepared
        }
    }

    /// Builds and sends one email.
    private func send(_ message: Message, _ sender: Sender?, _ body: PreparedBody?) async -> EmailSendOutcome {
        let sandbox = sender?.sandbox ?? false
        guard let to = EmailAddress(message.recipient) else { return .rejected(response: "Not an email address", suppress: false) }
        let from = sender?.from ?? (sandbox ? Mailbox(address: EmailAddress("sandbox@worldledgers.example")!) : nil)
        guard let from else { return .rejected(response: "No sender address configured", suppress: false) }
        guard let body else { return .rejected(response: "The blast's template is missing", suppress: false) }
        var html = body.html
        if let trackable = body.trackable, let signer = tracking.keyring.signer {
            html = await RenderExecutor.shared.run { [baseURL = tracking.baseURL] in
                trackable.render(messageID: message.id, signer: signer, baseURL: baseURL)
            }
        }
        let email = OutgoingEmail(
            messageID: message.id, from: from, replyTo: sender?.replyTo, to: to, subject: message.subject ?? "", text: body.text, html: html,
            date: time.now, random: UInt64.random(in: 0...UInt64.max))
        return await (sandbox ? self.sandbox : live).send(email)
    }
}

/// An email body made ready once: its text alternative, its HTML, and the HTML split for tracking when tracked.
struct PreparedBody: Sendable {
    var text: String
    var html: String
    var trackable: TrackableHTML?

    init(body: String, isHTML: Bool, tracked: Bool) {
        text = isHTML ? HTMLText.text(fromHTML: body) : body
        html = isHTML ? body : HTMLText.html(fromText: body)
        trackable = isHTML && tracked ? TrackableHTML(body) : nil
    }
}
