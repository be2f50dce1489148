import Foundation
import Logging
import Testing
import WLDomain
import WLPorts
import WLServices
import WLStore

/// The password thread's bounded line, and sign-ins that wait in it while the account is locked.
@Suite(.timeLimit(.minutes(1))) struct PasswordLineTests {
    /// Holds the password thread with a job of `line` until `release` is signalled; returns once the job runs.
    static func hold(_ line: PasswordLine, until release: DispatchSemaphore) async -> Task<Void, any Error> {
        let (started, startedSink) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await line.run {
                startedSink.yield()
                release.wait()
            }
        }
        for await _ in started { break }
        return holder
    }

    /// Waits until `count` jobs are running or waiting in `line` (each step gives way to the other tasks).
    static func waitUntil(_ line: PasswordLine, holds count: Int) async {
        while line.inLine < count { await Task.yield() }
    }

    /// Console accounts on `store` at the test's time, the cheapest bcrypt cost, hashing in `line`.
    static func accounts(_ store: SQLStore, _ app: TestApp, _ line: PasswordLine) -> ConsoleAccounts {
        ConsoleAccounts(store: store, time: app.time, settings: ConsoleSettings(bcryptCost: 4), passwords: line, logger: Logger(label: "test"))
    }

    @Test func aFullLineRefusesAtOnceWith503AndFreesAsHashesFinish() async throws {
        let line = PasswordLine(limit: 2)
        let release = DispatchSemaphore(value: 0)
        let holder = await Self.hold(line, until: release)
        let waiter = Task { try await line.run { 7 } }
        await Self.waitUntil(line, holds: 2)
        await #expect(throws: DomainError(.serviceUnavailable, "Too many sign-ins at once: try again in a moment.", retryAfter: 1)) {
            try await line.run { 0 }
        }
        #expect(line.inLine == 2)
        release.signal()
        try await holder.value
        #expect(try await waiter.value == 7)
        #expect(line.inLine == 0)
        #expect(try await line.run { 8 } == 8)
    }

    @Test func aRightPasswordThatWaitedWhileOtherGuessesLockedTheAccountOpensNothing() async throws {
        let app = TestApp()
        try await app.admin { _, store in
            let line = PasswordLine(limit: 8)
            let accounts = Self.accounts(store, app, line)
            let user = try await accounts.createUser(
                email: "admin@wl.test", password: "admin-password-12", role: .admin, firmID: nil, origin: .commandLine)
            let release = DispatchSemaphore(value: 0)
            let holder = await Self.hold(line, until: release)
            let signIn = Task {
                try await accounts.signIn(email: "admin@wl.test", password: "admin-password-12", kind: .bearer, origin: .commandLine)
            }
            // The sign-in has passed its lock check and waits for the password thread; meanwhile the account locks.
            await Self.waitUntil(line, holds: 2)
            let lockedUntil = app.time.now.addingTimeInterval(30)
            _ = try await store.recordFailedSignIn(userID: user.id) { _ in lockedUntil }
            release.signal()
            try await holder.value
            await #expect(throws: DomainError(.accountLocked, "Too many failed sign-ins: try again in 30 s.", retryAfter: 30)) {
                try await signIn.value
            }
        }
    }

    @Test func aGuessedInvitationTokenIsRefusedWithoutHashing() async throws {
        let app = TestApp()
        try await app.admin { _, store in
            let line = PasswordLine(limit: 1)
            let accounts = Self.accounts(store, app, line)
            let release = DispatchSemaphore(value: 0)
            let holder = await Self.hold(line, until: release)
            // The line is full: a token that needed a hash would be refused with 503, not 404.
            await #expect(throws: DomainError(.notFound, "This invitation link is not valid, has been used, or has expired. Ask for a new one.")) {
                try await accounts.acceptInvitation(SessionToken.generate(), password: "a-long-password-1", origin: .commandLine)
            }
            release.signal()
            try await holder.value
        }
    }
}
