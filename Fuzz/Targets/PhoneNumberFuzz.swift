import Foundation
import WLDomain

/// `PhoneNumber` reads every recipient of an SMS request and every CSV phone column.
/// A number it accepts is `254` and nine digits, and each of its written forms reads back as the same number.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let number = PhoneNumber(fuzzText(data, size)) else { return 0 }
    let digits = number.e164Digits
    let allDigits = digits.utf8.allSatisfy { (48...57).contains($0) }
    require(digits.utf8.count == 12 && digits.hasPrefix("254") && allDigits, "not 254 and 9 digits: \(digits)")
    let subscriber = String(digits.dropFirst(3))
    for form in [digits, number.plusForm, "0" + subscriber, subscriber, "+254 " + subscriber, number.description] {
        require(PhoneNumber(form) == number, "\(form) does not read back as \(digits)")
    }
    _ = MobileNetwork(prefixOf: number)
    let json = try? JSONEncoder().encode([number])
    require(json.flatMap { try? JSONDecoder().decode([PhoneNumber].self, from: $0) } == [number], "JSON round trip of \(digits)")
    return 0
}
