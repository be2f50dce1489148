import Foundation
import WLPorts
import WLServices

/// The public sandbox's credentials (its API key and its console user, both published in the API documentation) left
/// in a database that now runs beside live providers: a database seeded during development and then put to work.
enum SandboxLeftovers {
    /// Refuses to start while the sandbox key is active or its console user exists, naming each and how to remove it.
    /// - Throws: ``StartupError``.
    static func refuse(store: any Store & ConsoleStore, liveProviders: [String], now: Date) async throws {
        var found: [String] = []
        if try await store.authenticate(keyHash: SandboxSeeder.sandboxKey.hash, now: now) != nil {
            found.append(
                "the API key \(SandboxSeeder.sandboxKey.secret) (revoke it: wlcomm key list --firm sandbox, then wlcomm key revoke --firm sandbox --id N)"
            )
        }
        if try await store.user(email: ConsoleAccounts.sandboxEmail) != nil {
            found.append("the console user \(ConsoleAccounts.sandboxEmail) (remove it: wlcomm user remove \(ConsoleAccounts.sandboxEmail))")
        }
        guard !found.isEmpty else { return }
        throw StartupError(
            "the public sandbox's credentials are in this database while live providers are configured (\(liveProviders.joined(separator: ", "))), "
                + "and they are published in the API documentation, so anyone could use this server: \(found.joined(separator: "; ")). "
                + "Remove them, or pass --allow-sandbox-in-production (WLCOMM_SEED_ALLOW_SANDBOX_IN_PRODUCTION=true) if you mean it.")
    }
}
