import Foundation

/// The load generator of every compared accept rate: `wrk` (one thread, so the server keeps the other core), run
/// for a fixed time at a fixed number of connections. Its Lua script builds each request (a new phone number per
/// request where the request sends an SMS) and prints a JSON summary that ``run(_:url:connections:seconds:folder:)``
/// reads back.
struct Wrk: Sendable {
    let executable: String

    /// What one run of wrk measured.
    struct Result: Codable, Sendable {
        /// Completed requests (wrk does not count the ones still in flight when the time is up).
        var requests: Int
        var seconds: Double
        /// Answers that were not 2xx or 3xx.
        var non2xx: Int
        /// Connect, read and write errors and timeouts.
        var socketErrors: Int
        var p50Ms: Double
        var p99Ms: Double

        /// Requests answered 2xx.
        var accepted: Int { requests - non2xx }
        /// 2xx answers per second.
        var acceptedPerSecond: Double { Double(accepted) / max(seconds, 0.001) }
    }

    /// A request shape, turned into the Lua script wrk runs.
    enum Load: Sendable {
        /// The same GET every time.
        case get
        /// `POST /sms` with one recipient, numbers counting up from 2547`first`.
        case postSMS(apiKey: String, first: Int)
        /// Kannel's `GET /cgi-bin/sendsms`, numbers counting up from 2547`first`.
        case kannelSendSMS(username: String, password: String, first: Int)

        var lua: String {
            let number = #"string.format("2547%08d", first + counter)"#
            let build: String
            switch self {
            case .get:
                build = ""
            case .postSMS(let apiKey, let first):
                build = """
                    local first = \(first)
                    local headers = { ["X-API-Key"] = "\(apiKey)", ["Content-Type"] = "application/json" }
                    request = function()
                      counter = counter + 1
                      local body = '{"message":"Benchmark","recipients":["' .. \(number) .. '"]}'
                      return wrk.format("POST", nil, headers, body)
                    end
                    """
            case .kannelSendSMS(let username, let password, let first):
                build = """
                    local first = \(first)
                    local prefix = "/cgi-bin/sendsms?username=\(username)&password=\(password)&text=Benchmark&to="
                    request = function()
                      counter = counter + 1
                      return wrk.format("GET", prefix .. \(number))
                    end
                    """
            }
            return """
                counter = 0
                \(build)
                done = function(summary, latency, requests)
                  local e = summary.errors
                  io.write(string.format('{"requests":%d,"seconds":%f,"non2xx":%d,"socketErrors":%d,"p50Ms":%f,"p99Ms":%f}\\n',
                    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
                    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
                end

                """
        }
    }

    /// The installed wrk, or nil.
    static func find() -> Wrk? {
        ChildProcess.find("wrk").map(Wrk.init(executable:))
    }

    /// Runs `load` against `url` for `seconds` at `connections`, with its script and output in `folder`.
    func run(_ load: Load, url: String, connections: Int, seconds: Int, folder: URL) async throws -> Result {
        let name = "wrk-\(UUID().uuidString.prefix(8))"
        let script = folder.appendingPathComponent(name + ".lua")
        try load.lua.write(to: script, atomically: true, encoding: .utf8)
        let child = try ChildProcess(
            executable, ["-t1", "-c\(connections)", "-d\(seconds)s", "--timeout", "30s", "-s", script.path, url],
            log: folder.appendingPathComponent(name + ".out"))
        let status = await child.waitForExit()
        let output = (try? String(contentsOf: child.log, encoding: .utf8)) ?? ""
        guard status == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw BenchmarkError("wrk against \(url) failed (exit \(status)): \(output.suffix(500))")
        }
        return try JSONDecoder().decode(Result.self, from: Data(line.utf8))
    }
}
