import Foundation

/// A program the benchmark runs beside itself (wrk, Kannel's boxes, Kannel's fake SMSC), its standard output and
/// error going to one file.
struct ChildProcess: Sendable {
    let name: String
    let process: Process
    let log: URL
    private let exit: AsyncStream<Int32>

    /// Starts `executable` with `arguments`, its output to `log` (created anew).
    init(_ executable: String, _ arguments: [String], log: URL) throws {
        self.name = URL(fileURLWithPath: executable).lastPathComponent
        self.log = log
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw BenchmarkError("cannot create \(log.path)") }
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { ended in
            continuation.yield(ended.terminationStatus)
            continuation.finish()
            try? output.close()
        }
        try process.run()
        self.process = process
        self.exit = stream
    }

    /// Waits until the program exits and returns its status.
    func waitForExit() async -> Int32 {
        for await status in exit { return status }
        return process.terminationStatus
    }

    /// Waits at most `timeout` for the program to exit; true when it did.
    func waitForExit(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !process.isRunning
    }

    /// Ends the program: `SIGTERM`, then `SIGKILL` if it is still running after `grace`.
    func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        process.terminate()
        if await waitForExit(within: grace) { return }
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit()
    }

    /// The full path of `program`, looked up on `PATH` and in `extraFolders`, or nil when it is not installed.
    static func find(_ program: String, extraFolders: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] + extraFolders
        return folders.map { $0 + "/" + program }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
