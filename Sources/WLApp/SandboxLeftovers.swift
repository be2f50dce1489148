import Foundation
import WLPorts
import WLServices

/// The public sandbox's credentials (its API key and its console user's password, both published in the API
/// documentation) left in a database that now runs beside live providers: a database seeded during development and
/// then put to work.
enum SandboxLeftovers {
    /// Refuses to start while the sandbox key is active or the sandbox console user still has its published password,
    /// naming each and how to remove it. Reads only: the key's last use is not touched.
    /// - Throws: ``StartupError``.
    static func refuse(store: any Store, accounts: ConsoleAccounts, liveProviders: [String]) async throws {
        var found: [String] = []
        let key = SandboxSeeder.sandboxKey
        if let firm = try await store.firm(slug: "sandbox"),
            try await store.apiKeys(firmID: firm.id).contains(where: { $0.hash == key.hash && $0.revokedAt == nil })
        {
            found.append(
                "the API key \(key.secret) (revoke it: wlcomm key list --firm sandbox, then wlcomm key revoke --firm sandbox --id N)")
        }
        if try await accounts.sandboxUserKeepsItsPublishedPassword() {
            found.append(
                "the console user \(ConsoleAccounts.sandboxEmail) with its published password (remove it: wlcomm user remove \(ConsoleAccounts.sandboxEmail))"
            )
        }
        guard !found.isEmpty else { return }
        throw StartupError(
            "The public sandbox's credentials are in this database while live providers are configured (\(liveProviders.joined(separator: ", "))), "
                + "and they are published in the API documentation, so anyone could use this server: \(found.joined(separator: "; ")). "
                + "Remove them, or pass --allow-sandbox-in-production (WLCOMM_SEED_ALLOW_SANDBOX_IN_PRODUCTION=true) if you mean it.")
    }
}
