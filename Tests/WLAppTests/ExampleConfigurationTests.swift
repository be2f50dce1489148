import Configuration
import Foundation
import Testing
import WLApp
import WLPorts
import WLStore

/// deploy/wlcomm.example.json: it loads, it is the safe production shape, and it names every key the service reads.
@Suite struct ExampleConfigurationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let example = root.appendingPathComponent("deploy/wlcomm.example.json").path

    @Test func theExampleLoadsAsASafeProductionConfiguration() async throws {
        let settings = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: [:], configFile: Self.example))
        #expect(settings.store == .sqlite(path: "/var/lib/wlcomm/wlcomm.sqlite"))
        #expect(settings.logFormat == .json)
        try settings.checkLogFormat()
        try settings.checkRole()
        #expect(try settings.trustedProxies().contains("127.0.0.1"))
        #expect(!settings.seedSandbox)
        #expect(settings.liveProviders.isEmpty)  // empty credentials: every live provider off until filled in
        #expect(settings.limits.enabled)
        #expect(settings.dispatcher.parallelBatches == 4)
        #expect(settings.webhookConcurrency == 8)
        #expect(settings.webhookMaxConcurrency == 32)
        #expect(settings.webhookYield == .seconds(1))
    }

    @Test func theExamplesEmptyProviderValuesAreUnsetOnesOnceCredentialsComeFromTheEnvironment() async throws {
        let environment = ["WLCOMM_AFRICASTALKING_USERNAME": "acme", "WLCOMM_AFRICASTALKING_API_KEY": "at-key"]
        let settings = AppSettings(reader: try await ConfigReader.wlcomm(flags: [:], environment: environment, configFile: Self.example))
        let africasTalking = try #require(settings.africasTalking)
        #expect(africasTalking.baseURL == "https://api.africastalking.com")
        #expect(africasTalking.senderID == nil)
    }

    @Test func theExampleNamesEveryKeyTheServiceReads() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.example))) as? [String: Any])
        let inExample = Set(Self.flattened(object))
        let read = try Self.keysReadBySources()
        #expect(read.count > 60)
        #expect(read.subtracting(inExample).sorted() == [], "keys the service reads that the example leaves out")
        #expect(inExample.subtracting(read).sorted() == [], "keys in the example that the service does not read")
    }

    /// `a.b.c` for every leaf of `object`.
    static func flattened(_ object: [String: Any], prefix: String = "") -> [String] {
        object.flatMap { key, value in
            (value as? [String: Any]).map { flattened($0, prefix: prefix + key + ".") } ?? [prefix + key]
        }
    }

    /// Every configuration key named in a literal of Sources/WLApp and Sources/WLProviders.
    static func keysReadBySources() throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: #"(?:forKey: |ConfigKey\(|period\()"([A-Za-z.]+)""#)
        // The rate limits are read as limits.<name>Quota and limits.<name>WindowSeconds, each name through policy("<name>", …).
        let policy = try NSRegularExpression(pattern: #"\bpolicy\("([A-Za-z]+)""#)
        var keys: Set<String> = []
        for folder in ["Sources/WLApp", "Sources/WLProviders"] {
            let url = root.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: url.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
                for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text) { keys.insert(String(text[range])) }
                }
                for match in policy.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text) {
                        keys.formUnion(["limits.\(text[range])Quota", "limits.\(text[range])WindowSeconds"])
                    }
                }
            }
        }
        return keys
    }
}
