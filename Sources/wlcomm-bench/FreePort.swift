import NIOCore
import NIOPosix

/// Finds a free local port by binding a listening socket to port 0 and closing it again.
enum ServerBootstrapPortFinder {
    static func bind() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress?.port ?? 0
    }
}
