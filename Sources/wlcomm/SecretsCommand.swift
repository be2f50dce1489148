import ArgumentParser
import WLDomain
import WLPorts
import WLStore

/// `wlcomm secrets …`: the key that encrypts webhook secrets and the tracking key in the database.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Encryption at rest of webhook secrets and the tracking key.",
        subcommands: [Rotate.self, GenerateKey.self])

    /// What `secrets rotate` prints.
    struct Result: Encodable {
        var keyID: String
        var checked: Int
        var resealed: Int
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored secret with secrets.key; afterwards secrets.previousKeys can be dropped.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let result = try await options.withAdmin { _, store in
                let summary = try await store.resealSecrets(.notCurrentKey)
                return Result(keyID: store.secrets?.currentKeyID ?? "", checked: summary.checked, resealed: summary.resealed)
            }
            try options.output(result) { "\($0.resealed) of \($0.checked) stored secrets re-encrypted; all are now sealed with key \($0.keyID)" }
        }
    }

    struct GenerateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-key", abstract: "Print a new random key for secrets.key (WLCOMM_SECRETS_KEY).")

        func run() {
            print(SecretBox.generateKey())
        }
    }
}
