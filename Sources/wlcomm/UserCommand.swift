import ArgumentParser
import Foundation
import WLDomain
import WLPorts
import WLServices

/// `wlcomm user …`: console users (firm owners and developers, platform admins).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Create, list, unlock and remove console users, change their role, end their sessions.",
        subcommands: [Create.self, List.self, Unlock.self, Remove.self, Role.self, SignOut.self])

    /// A user as `--json` prints it (never the password hash).
    struct Listed: Encodable {
        var id: Int64
        var email: String
        var role: String
        var firmId: Int64?
        var locked: Bool

        init(_ user: ConsoleUser) {
            id = user.id
            email = user.email
            role = user.role.rawValue
            firmId = user.firmID
            locked = SignInLockout.secondsLeft(lockedUntil: user.lockedUntil, now: Date()) != nil
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user. The password comes from a file or standard input, never the command line.")
        @Option(help: "The firm (id or slug) of an owner or developer; none for an admin.") var firm: String?
        @Option(help: "The user's email address (their sign-in name).") var email: String
        @Option(help: "owner, developer or admin.") var role: String
        @Option(help: "Read the password from the first line of this file.") var passwordFile: String?
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard ConsoleRole(rawValue: role) != nil else { throw ValidationError("--role is owner, developer or admin.") }
            guard (passwordFile != nil) != passwordStdin else { throw ValidationError("Give exactly one of --password-file and --password-stdin.") }
        }

        func run() async throws {
            try await reportingErrors {
                let password = try passwordFile.map(SecretInput.file) ?? SecretInput.standardInput()
                let role = ConsoleRole(rawValue: role)!
                let user = try await options.withConsole { accounts, admin in
                    let firmID = try await firm.asyncMap { try await admin.firm($0).id }
                    return try await accounts.createUser(email: email, password: password, role: role, firmID: firmID, origin: .commandLine)
                }
                try options.output(Listed(user)) { "user \($0.id) \($0.email) (\($0.role)) created" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, or one firm's.")
        @Option(help: "Firm id or slug.") var firm: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let users = try await options.withConsole { accounts, admin in
                    let firmID = try await firm.asyncMap { try await admin.firm($0).id }
                    return try await accounts.users(firmID: firmID).map(Listed.init)
                }
                try options.output(users) { users in
                    users.map { "\($0.id)\t\($0.email)\t\($0.role)\tfirm \($0.firmId.map(String.init) ?? "-")\($0.locked ? "\tlocked" : "")" }
                        .joined(separator: "\n")
                }
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear a user's failed sign-ins and lock.")
        @Argument(help: "The user's email.") var email: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                try await options.withConsole { accounts, _ in try await accounts.unlock(email: email) }
                print("\(email) unlocked")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user (of any firm, or an admin); their sessions end at once.")
        @Argument(help: "The user's email.") var email: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reportingErrors {
                let user = try await options.withConsole { accounts, _ in try await accounts.removeUser(email: email) }
                try options.output(Listed(user)) { "user \($0.id) \($0.email) (\($0.role)) removed" }
            }
        }
    }
}

extension UserCommand {
    struct Role: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a firm's user the role owner or developer; their sessions go on with it from their next request.")
        @Argument(help: "The user's email.") var email: String
        @Argument(help: "owner or developer.") var role: String
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard let role = ConsoleRole(rawValue: role), role != .admin else { throw ValidationError("The role is owner or developer.") }
        }

        func run() async throws {
            try await reportingErrors {
                let role = ConsoleRole(rawValue: role)!
                let user = try await options.withConsole { accounts, _ in try await accounts.changeRole(email: email, to: role) }
                try options.output(Listed(user)) { "user \($0.id) \($0.email) is now \($0.role)" }
            }
        }
    }

    struct SignOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-out", abstract: "End every session of a user (a lost laptop, a leaked token); the user stays.")
        @Argument(help: "The user's email.") var email: String
        @OptionGroup var options: GlobalOptions

        struct Ended: Encodable {
            var user: Listed
            var sessionsEnded: Int
        }

        func run() async throws {
            try await reportingErrors {
                let (user, ended) = try await options.withConsole { accounts, _ in try await accounts.signOutEverywhere(email: email) }
                try options.output(Ended(user: Listed(user), sessionsEnded: ended)) { "\($0.user.email): \($0.sessionsEnded) session(s) ended" }
            }
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
