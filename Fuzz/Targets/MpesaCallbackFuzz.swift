import Foundation
import WLDomain

/// The JSON body Daraja POSTs to the STK callback URL (anyone can POST there).
/// A body that decodes gives an outcome that agrees with its ResultCode, and settling it never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let callback = try? JSONDecoder().decode(MpesaCallback.self, from: Data(fuzzBytes(data, size))) else { return 0 }
    let outcome = callback.outcome
    switch outcome {
    case .paid(_, let amount, _):
        require(callback.resultCode == 0 && amount != nil, "paid with ResultCode \(callback.resultCode)")
    case .declined(let code, let description):
        require(code == callback.resultCode && code != 0 && description == callback.resultDescription, "declined \(code)")
    case .pushFailed, .unconfirmed:
        require(false, "a callback cannot say the push failed or went unconfirmed")
    }
    for status in [PaymentStatus.pending, .received, .failed, .held] {
        for receiptTaken in [false, true] {
            _ = PaymentSettlement.decide(
                status: status, hasReceipt: false, requested: KES(shillings: 500), outcome: outcome, receiptTaken: receiptTaken)
        }
    }
    return 0
}
