import Foundation
import Synchronization
import Testing
import WLDomain
import WLPorts
@testable import WLServices

/// An opt-out store in memory that counts its reads; `optOuts` can be held until the test lets it answer.
final class CountingOptOutStore: OptOutStore {
    struct State {
        var lists: [Int64: Set<String>] = [:]
        var listReads = 0
        var lookUps = 0
    }

    let state = Mutex(State())
    /// When set, `optOuts` reports that it started and waits for one value before it answers.
    let gate: (started: AsyncStream<Void>.Continuation, release: AsyncStream<Void>)?

    init(_ lists: [Int64: Set<String>] = [:], gate: (started: AsyncStream<Void>.Continuation, release: AsyncStream<Void>)? = nil) {
        state.withLock { $0.lists = lists }
        self.gate = gate
    }

    func set(_ firmID: Int64, _ phones: Set<String>) { state.withLock { $0.lists[firmID] = phones } }
    var reads: (lists: Int, lookUps: Int) { state.withLock { ($0.listReads, $0.lookUps) } }

    func addOptOuts(_ entries: [FirmPhone], source: OptOutSource, now: Date) async throws -> Int {
        state.withLock { state in entries.count(where: { state.lists[$0.firmID, default: []].insert($0.phone).inserted }) }
    }

    func removeOptOut(_ entry: FirmPhone) async throws -> Bool {
        state.withLock { $0.lists[entry.firmID]?.remove(entry.phone) != nil }
    }

    func optOuts(firmID: Int64, limit: Int, startingAfter: String?) async throws -> [OptOut] {
        let phones = state.withLock { state in
            state.listReads += 1
            return (state.lists[firmID] ?? []).filter { $0 > (startingAfter ?? "") }.sorted().prefix(limit)
        }
        if let gate {
            gate.started.yield()
            for await _ in gate.release { break }
        }
        return phones.map { OptOut(phone: $0, source: .api, createdAt: Date(timeIntervalSince1970: 0)) }
    }

    func optedOut(_ entries: [FirmPhone]) async throws -> Set<FirmPhone> {
        state.withLock { state in
            state.lookUps += 1
            return Set(entries.filter { state.lists[$0.firmID]?.contains($0.phone) == true })
        }
    }

    func firmIDs(sendingAs senderID: String, isDefault: Bool) async throws -> [Int64] { [] }
}

@Suite struct OptOutCacheTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let listed = "254712345678"
    static let other = "254722000111"

    @Test func aShortListIsReadOnceAndUsedUntilItsLifetimeEnds() async throws {
        let store = CountingOptOutStore([1: [Self.listed], 2: [Self.other]])
        let cache = OptOutCache(lifetime: 1)
        #expect(try await cache.listed([Self.listed, Self.other], firmID: 1, store: store, now: Self.start) == [Self.listed])
        #expect(try await cache.listed([Self.other], firmID: 1, store: store, now: Self.start.addingTimeInterval(0.9)) == [])
        // Each firm its own list.
        #expect(try await cache.listed([Self.listed, Self.other], firmID: 2, store: store, now: Self.start) == [Self.other])
        #expect(store.reads == (2, 0))
        // A change elsewhere is seen once the lifetime has passed.
        store.set(1, [Self.listed, Self.other])
        #expect(try await cache.listed([Self.other], firmID: 1, store: store, now: Self.start.addingTimeInterval(0.99)) == [])
        #expect(try await cache.listed([Self.other], firmID: 1, store: store, now: Self.start.addingTimeInterval(1)) == [Self.other])
        #expect(store.reads == (3, 0))
    }

    @Test func aForgottenFirmIsReadAgainAtOnce() async throws {
        let store = CountingOptOutStore([1: [Self.listed]])
        let cache = OptOutCache(lifetime: 60)
        #expect(try await cache.listed([Self.listed], firmID: 1, store: store, now: Self.start) == [Self.listed])
        _ = try await store.removeOptOut(FirmPhone(firmID: 1, phone: Self.listed))
        cache.forget(firmIDs: [1])
        #expect(try await cache.listed([Self.listed], firmID: 1, store: store, now: Self.start) == [])
        #expect(store.reads == (2, 0))
    }

    @Test func aLongListIsNotKeptButLookedUpEachTime() async throws {
        let store = CountingOptOutStore([1: Set((0..<5).map { "25471100000\($0)" })])
        let cache = OptOutCache(lifetime: 60, listLimit: 4)
        for _ in 0..<3 {
            #expect(try await cache.listed(["254711000003", Self.other], firmID: 1, store: store, now: Self.start) == ["254711000003"])
        }
        // One probe of the list, then only lookups of the numbers asked about until the lifetime ends.
        #expect(store.reads == (1, 3))
    }

    @Test func aZeroLifetimeKeepsNothing() async throws {
        let store = CountingOptOutStore([1: [Self.listed]])
        let cache = OptOutCache(lifetime: 0)
        for _ in 0..<2 { #expect(try await cache.listed([Self.listed], firmID: 1, store: store, now: Self.start) == [Self.listed]) }
        #expect(store.reads == (0, 2))
    }

    @Test func aListReadBeforeAChangeIsNotKeptAfterIt() async throws {
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let store = CountingOptOutStore([1: []], gate: (startedContinuation, release))
        let cache = OptOutCache(lifetime: 60)
        let first = Task { try await cache.listed([Self.listed], firmID: 1, store: store, now: Self.start) }
        for await _ in started { break }
        // The number is listed and the firm forgotten while the old list is still on its way.
        _ = try await store.addOptOuts([FirmPhone(firmID: 1, phone: Self.listed)], source: .api, now: Self.start)
        cache.forget(firmIDs: [1])
        releaseContinuation.yield()
        #expect(try await first.value == [])
        releaseContinuation.yield()
        #expect(try await cache.listed([Self.listed], firmID: 1, store: store, now: Self.start) == [Self.listed])
        #expect(store.reads == (2, 0))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ShortLivedCacheTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aFullCacheDropsWhatExpiredThenStartsOverButAKeptKeyIsReplacedInPlace() async throws {
        let now = Self.now
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 2)
        _ = try await cache.value(for: "a", now: now) { 1 }
        _ = try await cache.value(for: "b", now: now.addingTimeInterval(5)) { 2 }
        cache.forget(["b"])
        _ = try await cache.value(for: "b", now: now.addingTimeInterval(5)) { 20 }
        #expect(cache.value(for: "a", now: now) == 1 && cache.value(for: "b", now: now) == 20)
        // At 12 s "a" has expired: it makes room for "c", and "b" stays.
        _ = try await cache.value(for: "c", now: now.addingTimeInterval(12)) { 3 }
        #expect(cache.value(for: "b", now: now.addingTimeInterval(12)) == 20 && cache.value(for: "c", now: now.addingTimeInterval(12)) == 3)
        // Nothing has expired at 13 s: the cache starts over.
        _ = try await cache.value(for: "d", now: now.addingTimeInterval(13)) { 4 }
        #expect(cache.value(for: "b", now: now.addingTimeInterval(13)) == nil && cache.value(for: "c", now: now.addingTimeInterval(13)) == nil)
        #expect(cache.value(for: "d", now: now.addingTimeInterval(13)) == 4)
        #expect(cache.value(for: "d", now: now.addingTimeInterval(23)) == nil)
    }

    @Test func aNilResultIsReturnedAndNotKept() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        #expect(try await cache.value(for: "a", now: Self.now) { nil } == nil)
        #expect(try await cache.value(for: "a", now: Self.now) { 5 } == 5)
    }

    @Test func callersThatMissTogetherShareOneLoad() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        let load = HeldLoad(value: 7)
        let first = Task { try await cache.value(for: "a", now: Self.now, load: load.run) }
        await load.waitUntilStarted()
        let others = (0..<19).map { _ in Task { try await cache.value(for: "a", now: Self.now, load: load.run) } }
        #expect(await until { cache.waiters("a") == 20 })
        load.release()
        #expect(try await first.value == 7)
        for other in others { #expect(try await other.value == 7) }
        #expect(load.count == 1)
        #expect(cache.waiters("a") == 0 && cache.value(for: "a", now: Self.now) == 7)
    }

    @Test func aCallerAfterAForgetStartsANewLoadAndTheOldOneIsNotKept() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        let old = HeldLoad(value: 1)
        let first = Task { try await cache.value(for: "a", now: Self.now, load: old.run) }
        await old.waitUntilStarted()
        cache.forget(["a"])
        let new = HeldLoad(value: 2)
        let second = Task { try await cache.value(for: "a", now: Self.now, load: new.run) }
        await new.waitUntilStarted()
        old.release()
        #expect(try await first.value == 1)
        #expect(cache.value(for: "a", now: Self.now) == nil)
        new.release()
        #expect(try await second.value == 2)
        #expect(cache.value(for: "a", now: Self.now) == 2)
    }

    @Test func forgettingAnotherKeyLeavesALoadUnderWayToBeKept() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        let load = HeldLoad(value: 1)
        let first = Task { try await cache.value(for: "a", now: Self.now, load: load.run) }
        await load.waitUntilStarted()
        cache.forget(["b"])
        load.release()
        #expect(try await first.value == 1)
        #expect(cache.value(for: "a", now: Self.now) == 1)
    }

    @Test func forgettingByValueDropsWhatItPicksAndKeepsNothingALoadUnderWayReads() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        _ = try await cache.value(for: "odd", now: Self.now) { 1 }
        _ = try await cache.value(for: "even", now: Self.now) { 2 }
        let load = HeldLoad(value: 3)
        let reading = Task { try await cache.value(for: "c", now: Self.now, load: load.run) }
        await load.waitUntilStarted()
        cache.forget { _, value in value % 2 == 1 }
        load.release()
        #expect(try await reading.value == 3)
        #expect(cache.value(for: "odd", now: Self.now) == nil && cache.value(for: "even", now: Self.now) == 2)
        #expect(cache.value(for: "c", now: Self.now) == nil)
    }

    @Test func aCancelledCallerStopsWaitingWhileTheOthersGetTheValue() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        let load = HeldLoad(value: 4)
        let starter = Task { try await cache.value(for: "a", now: Self.now, load: load.run) }
        await load.waitUntilStarted()
        let other = Task { try await cache.value(for: "a", now: Self.now, load: load.run) }
        #expect(await until { cache.waiters("a") == 2 })
        starter.cancel()
        await #expect(throws: CancellationError.self) { try await starter.value }
        #expect(cache.waiters("a") == 1 && !load.wasCancelled)
        load.release()
        #expect(try await other.value == 4)
        #expect(cache.value(for: "a", now: Self.now) == 4)
    }

    @Test func aLoadNoOneWaitsForAnyMoreIsCancelledAndNotKept() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        let stuck = HeldLoad(value: 1)
        let callers = (0..<2).map { _ in Task { try await cache.value(for: "a", now: Self.now, load: stuck.run) } }
        #expect(await until { cache.waiters("a") == 2 })
        for caller in callers { caller.cancel() }
        for caller in callers { await #expect(throws: CancellationError.self) { try await caller.value } }
        #expect(await until { stuck.wasCancelled })
        // The next caller does not join the abandoned load: it starts its own.
        #expect(try await cache.value(for: "a", now: Self.now) { 9 } == 9)
        #expect(stuck.count == 1)
    }

    @Test func aFailedLoadFailsEveryCallerWaitingForItAndIsNotKept() async throws {
        let cache = ShortLivedCache<String, Int>(lifetime: 10, capacity: 10)
        let failing = HeldLoad(value: nil)
        let first = Task { try await cache.value(for: "a", now: Self.now, load: failing.run) }
        await failing.waitUntilStarted()
        let second = Task { try await cache.value(for: "a", now: Self.now, load: failing.run) }
        #expect(await until { cache.waiters("a") == 2 })
        failing.release()
        for caller in [first, second] {
            await #expect(throws: HeldLoad.Failure.self) { try await caller.value }
        }
        #expect(failing.count == 1)
        #expect(try await cache.value(for: "a", now: Self.now) { 3 } == 3)
    }
}

/// A load that reports its start and answers when released: `value`, or ``Failure`` when it is `nil`.
final class HeldLoad: Sendable {
    struct Failure: Error {}

    let value: Int?
    private let calls = Mutex(0)
    private let cancelled = Mutex(false)
    private let started: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    private let released: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    init(value: Int?) {
        self.value = value
        started = AsyncStream.makeStream(of: Void.self)
        released = AsyncStream.makeStream(of: Void.self)
    }

    /// How many times the load ran.
    var count: Int { calls.withLock { $0 } }
    /// Whether a run was cancelled before it was released.
    var wasCancelled: Bool { cancelled.withLock { $0 } }

    @Sendable func run() async throws -> Int? {
        calls.withLock { $0 += 1 }
        started.continuation.yield()
        for await _ in released.stream { break }
        if Task.isCancelled {
            cancelled.withLock { $0 = true }
            throw CancellationError()
        }
        guard let value else { throw Failure() }
        return value
    }

    func waitUntilStarted() async {
        for await _ in started.stream { break }
    }

    func release() { released.continuation.finish() }
}

/// Whether `condition` holds within 10 seconds, checked between yields.
private func until(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        await Task.yield()
    }
    return condition()
}
