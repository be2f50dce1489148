import ArgumentParser
import WLApp
import WLPorts

/// `wlcomm`: the World Ledgers Communication API server and its administration commands.
@main
struct WLComm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wlcomm",
        abstract: "World Ledgers Communication API: SMS, bulk email, SMS credits and delivery webhooks.",
        version: WLCommApp.version,
        subcommands: [
            Serve.self, Migrate.self, SeedSandbox.self, ConfigCommand.self, FirmCommand.self, KeyCommand.self, WebhookCommand.self,
            ContactsCommand.self, SuppressionCommand.self, OptOutCommand.self, PrivacyCommand.self, SecretsCommand.self, Backup.self, Restore.self,
            UserCommand.self,
        ]
    )
}
