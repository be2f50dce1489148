import Foundation

/// Kannel (Debian's `kannel` and `kannel-extras`) on this machine, measured with the same load generator as our
/// server: a bearerbox with a fake SMSC connection, an smsbox whose `sendsms` interface takes the load, and Kannel's
/// own `fakesmsc` as the SMSC, which logs every message it receives. The boxes keep their queue in a store file
/// (`store-type = file`), Kannel's usual set-up, so an accepted message survives a restart as ours does.
struct KannelRig: Sendable {
    let bearerbox: String
    let smsbox: String
    let fakesmsc: String

    /// What Kannel did under the load.
    struct Figures: Codable, Sendable {
        /// `sendsms` requests answered 2xx per second.
        var acceptedPerSecond: Double
        var p50Ms: Double
        var p99Ms: Double
        /// Messages that reached the fake SMSC, per second from the first request to the last message received.
        var endToEndPerSecond: Double
        var accepted: Int
        var delivered: Int
    }

    /// Kannel's programs, or nil when one of them is not installed.
    static func find() -> KannelRig? {
        guard let bearerbox = ChildProcess.find("bearerbox"), let smsbox = ChildProcess.find("smsbox"),
            let fakesmsc = ChildProcess.find("fakesmsc", extraFolders: ["/usr/lib/kannel/test"])
        else { return nil }
        return KannelRig(bearerbox: bearerbox, smsbox: smsbox, fakesmsc: fakesmsc)
    }

    /// Starts Kannel in `folder`, loads it with `wrk` for `seconds` at `connections`, waits until every accepted
    /// message has reached the fake SMSC, and stops it again.
    func measure(wrk: Wrk, connections: Int, seconds: Int, folder: URL) async throws -> Figures {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ports = try KannelPorts()
        let config = folder.appendingPathComponent("kannel.conf")
        try KannelConfig.text(ports: ports, folder: folder).write(to: config, atomically: true, encoding: .utf8)
        var children: [ChildProcess] = []
        do {
            let bearer = try ChildProcess(bearerbox, ["-v", "3", config.path], log: folder.appendingPathComponent("bearerbox.out"))
            children.append(bearer)
            try await waitForPort(ports.smsc, of: bearer)
            let smsc = try ChildProcess(
                fakesmsc, ["-H", "127.0.0.1", "-r", "\(ports.smsc)", "-m", "0", "-v", "0", "1 2 text unused"],
                log: folder.appendingPathComponent("fakesmsc.log"))
            children.append(smsc)
            let box = try ChildProcess(smsbox, ["-v", "3", config.path], log: folder.appendingPathComponent("smsbox.out"))
            children.append(box)
            try await waitForPort(ports.sendsms, of: box)
            try await waitUntilOnline(ports)
            let started = ContinuousClock.now
            let load = Wrk.Load.kannelSendSMS(username: KannelConfig.username, password: KannelConfig.password, first: 60_000_000)
            let result = try await wrk.run(
                load, url: "http://127.0.0.1:\(ports.sendsms)/", connections: connections, seconds: seconds, folder: folder)
            let (delivered, last) = try await waitForDeliveries(result.accepted, log: smsc.log)
            await shutDown(ports, children)
            let elapsed = max(milliseconds(last - started) / 1000, 0.001)
            return Figures(
                acceptedPerSecond: result.acceptedPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms,
                endToEndPerSecond: Double(min(delivered, result.accepted)) / elapsed, accepted: result.accepted, delivered: delivered)
        } catch {
            for child in children.reversed() { await child.stop() }
            throw error
        }
    }

    /// Waits until `fakesmsc` has received `expected` messages, or until nothing more arrives for five seconds;
    /// returns how many arrived and when the last one did.
    private func waitForDeliveries(_ expected: Int, log: URL) async throws -> (Int, ContinuousClock.Instant) {
        var count = 0
        var lastChange = ContinuousClock.now
        while count < expected, ContinuousClock.now - lastChange < .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
            let now = ContinuousClock.now
            let latest = try Self.receivedCount(log)
            if latest != count { (count, lastChange) = (latest, now) }
        }
        return (count, lastChange)
    }

    /// The number in the last "Got message N:" line of `fakesmsc`'s log, read from the log's tail.
    static func receivedCount(_ log: URL) throws -> Int {
        let handle = try FileHandle(forReadingFrom: log)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size > 8192 ? size - 8192 : 0)
        let tail = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        guard let line = tail.split(separator: "\n").last(where: { $0.contains("Got message ") }),
            let range = line.range(of: "Got message ")
        else { return 0 }
        return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// Asks the bearerbox to shut down (it takes the smsbox and the fake SMSC's connection with it), and ends
    /// whatever is still running ten seconds later.
    private func shutDown(_ ports: KannelPorts, _ children: [ChildProcess]) async {
        _ = try? await httpGet("http://127.0.0.1:\(ports.admin)/cgi-bin/shutdown?password=\(KannelConfig.password)")
        for child in children.reversed() where !(await child.waitForExit(within: .seconds(10))) { await child.stop() }
    }

    private func waitForPort(_ port: Int, of child: ChildProcess) async throws {
        for _ in 0..<500 {
            if portAnswers(port) { return }
            guard child.process.isRunning else {
                throw BenchmarkError("\(child.name) exited: \((try? String(contentsOf: child.log, encoding: .utf8))?.suffix(800) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchmarkError("\(child.name) did not listen on port \(port)")
    }

    /// Waits until the bearerbox reports its fake SMSC connection online and one smsbox connected.
    private func waitUntilOnline(_ ports: KannelPorts) async throws {
        let url = "http://127.0.0.1:\(ports.admin)/cgi-bin/status.txt?password=\(KannelConfig.password)"
        for _ in 0..<500 {
            if let status = try? await httpGet(url), status.contains("(online "), status.contains("Box connections:\n    smsbox") {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchmarkError("Kannel's fake SMSC or smsbox did not come online")
    }
}

/// Four free local ports for Kannel: the admin interface, the box port, the fake SMSC's port and `sendsms`.
struct KannelPorts: Sendable {
    let admin: Int
    let box: Int
    let smsc: Int
    let sendsms: Int

    init() throws {
        (admin, box, smsc, sendsms) = (try freePort(), try freePort(), try freePort(), try freePort())
    }
}
