import Foundation
import WLDomain

/// Amounts read from text: CSV `account_balance` and M-Pesa `Amount` (`KES`), credit figures (`Credits`).
/// An amount read prints back as text that reads as the same amount, and survives JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = fuzzText(data, size)
    if let amount = KES(text) {
        require(KES(amount.description) == amount, "KES \(text) prints as \(amount)")
        require(amount.display.hasPrefix("KES "), "display \(amount.display)")
        let json = try? JSONEncoder().encode([amount])
        require(json.flatMap { try? JSONDecoder().decode([KES].self, from: $0) } == [amount], "KES \(amount) through JSON")
    }
    if let credits = Credits(text) {
        require(Credits(credits.description) == credits, "Credits \(text) prints as \(credits)")
        let json = try? JSONEncoder().encode([credits])
        require(json.flatMap { try? JSONDecoder().decode([Credits].self, from: $0) } == [credits], "Credits \(credits) through JSON")
    }
    return 0
}
