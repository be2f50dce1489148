public import NIOCore
import Synchronization
import WLServices

/// Caps open HTTP connections: at most `total` at once, and at most `perAddress` from one client IP address. A
/// connection over either cap is closed as soon as it is accepted, before any byte is read, so idle sockets cannot
/// exhaust the server's file descriptors. Zero turns a cap off.
public final class ConnectionLimiter: Sendable {
    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    public let total: Int
    public let perAddress: Int
    private let counts = Mutex(Counts())

    public init(total: Int, perAddress: Int) {
        self.total = total
        self.perAddress = perAddress
    }

    /// A handler for one new connection's pipeline.
    public func handler() -> ConnectionLimitHandler { ConnectionLimitHandler(limiter: self) }

    /// Open connections now: in all, and from `address`.
    public func open(from address: String) -> (total: Int, fromAddress: Int) {
        counts.withLock { ($0.total, $0.byAddress[address] ?? 0) }
    }

    /// Counts a connection from `address` in, or refuses it when a cap is reached.
    func admit(_ address: String) -> Bool {
        counts.withLock { counts in
            let fromAddress = counts.byAddress[address] ?? 0
            if total > 0 && counts.total >= total || perAddress > 0 && fromAddress >= perAddress { return false }
            counts.total += 1
            counts.byAddress[address] = fromAddress + 1
            return true
        }
    }

    func release(_ address: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = (counts.byAddress[address] ?? 1) - 1
            counts.byAddress[address] = left > 0 ? left : nil
        }
    }
}

/// Admits or closes one connection (see ``ConnectionLimiter``) and releases its place when it closes.
public final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    private let limiter: ConnectionLimiter
    private var admitted: String?

    init(limiter: ConnectionLimiter) {
        self.limiter = limiter
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        // An IPv6 client counts by its /64: one subscriber's block, whose addresses it may use one per connection.
        let address = IPBlock.limitKey(of: context.channel.remoteAddress?.ipAddress ?? "unknown")
        if limiter.admit(address) {
            admitted = address
        } else {
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        releasePlace()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        releasePlace()
    }

    private func releasePlace() {
        if let address = admitted { limiter.release(address) }
        admitted = nil
    }
}
