public import Foundation

/// The allowed addresses of webhook hosts (``AddressGuard/checkedAddresses(of:)``), kept for `lifetime`, so that a busy
/// endpoint costs one DNS lookup per lifetime instead of one per POST, and POSTs to one host that miss it together
/// share one lookup. Lookups run off the request threads (``AddressGuard/checkedAddressesOffThread(of:)``).
///
/// Keeping them is safe: a connection goes to the address that was checked, so a name that changes meanwhile cannot
/// lead it anywhere else. A refused or unresolved host is not kept: it is looked up again next time.
public final class CheckedAddressCache: Sendable {
    private let kept: ShortLivedCache<String, [String]>
    private let lookup: @Sendable (String) async throws -> [String]

    /// - Parameters:
    ///   - lifetime: How long a host's addresses are used, in seconds.
    ///   - capacity: The most hosts kept.
    ///   - lookup: Resolves and checks a host (tests count its calls).
    public init(
        lifetime: TimeInterval = 30, capacity: Int = 1_000,
        lookup: @escaping @Sendable (String) async throws -> [String] = AddressGuard.checkedAddressesOffThread(of:)
    ) {
        kept = ShortLivedCache(lifetime: lifetime, capacity: capacity)
        self.lookup = lookup
    }

    /// The addresses of `host`, every one of them allowed.
    /// - Throws: ``WebhookAddressError`` naming the reason.
    public func addresses(of host: String) async throws -> [String] {
        try await kept.value(for: host, now: Date()) { try await self.lookup(host) } ?? []
    }
}
