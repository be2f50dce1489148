import Foundation
import WLDomain

/// `send_at` of SMS and email requests. A time read is never before now nor more than 90 days ahead; anything
/// else is refused with `.validation`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let now = Date(timeIntervalSince1970: 1_780_000_000)
    do {
        let date = try SendTime.parse(fuzzText(data, size), timezone: "Africa/Nairobi", now: now)
        require(date >= now && date.timeIntervalSince(now) <= SendTime.maximumAhead, "send_at \(date) out of range")
    } catch {
        require((error as? DomainError)?.code == .validation, "unexpected \(error)")
    }
    return 0
}
