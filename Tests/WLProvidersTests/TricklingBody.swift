import Hummingbird

extension ResponseBody {
    /// A body that is never complete: a byte every 100 ms, so that no read timeout trips, until the client goes away (the
    /// next write then fails) or 30 s have passed.
    static var trickle: ResponseBody {
        ResponseBody { writer in
            for _ in 0..<300 {
                try await writer.write(ByteBuffer(string: " "))
                try await Task.sleep(for: .milliseconds(100))
            }
            try await writer.finish(nil)
        }
    }
}
