public import Configuration
import SystemPackage

extension ConfigReader {
    /// The service's configuration, highest precedence first: command-line flags, `WLCOMM_*` environment
    /// variables, the JSON config file, then each setting's default.
    /// - Parameters:
    ///   - flags: Values given on the command line, by config key (`database.url`).
    ///   - environment: The process environment (tests pass their own).
    ///   - configFile: A JSON file (`{"database": {"url": "…"}}`); a missing file is an error only when named
    ///     explicitly, and `./wlcomm.json` is read when it exists.
    public static func wlcomm(
        flags: [AbsoluteConfigKey: ConfigValue], environment: [String: String], configFile: String?
    ) async throws -> ConfigReader {
        ConfigReader(providers: try await wlcommProviders(flags: flags, environment: environment, configFile: configFile))
    }

    /// The providers of ``wlcomm(flags:environment:configFile:)``, highest precedence first.
    public static func wlcommProviders(
        flags: [AbsoluteConfigKey: ConfigValue], environment: [String: String], configFile: String?
    ) async throws -> [any ConfigProvider] {
        let secrets = SecretsSpecifier<String, String>.dynamic { key, _ in
            key.hasSuffix("_URL") || key.hasSuffix("_SECRET") || key.hasSuffix("_PASSWORD") || key.hasSuffix("_KEY") || key.hasSuffix("_PASSKEY")
        }
        let environmentProvider = EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: secrets)
            .prefixKeys(with: "wlcomm")
        let file = try await FileProvider<JSONSnapshot>(
            filePath: FilePath(configFile ?? environment["WLCOMM_CONFIG_FILE"] ?? "wlcomm.json"),
            allowMissing: configFile == nil && environment["WLCOMM_CONFIG_FILE"] == nil)
        return [InMemoryProvider(name: "flags", values: flags), environmentProvider, file]
    }
}
