import WLDomain

/// Africa's Talking delivery reports: form-encoded bodies POSTed to the callback URL, read with
/// `FormEncoding.decode`, then `networkCode` mapped to a network. (The status mapping,
/// `DeliveryReports.africasTalkingReport` in WLServices, only compares whole strings.)
/// Encoding the decoded fields and decoding again gives the same fields, and the encoding is plain ASCII.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let form = FormEncoding.decode(fuzzText(data, size))
    let encoded = FormEncoding.encode(form.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    require(encoded.utf8.allSatisfy { $0 > 32 && $0 < 127 }, "form encoding is not plain ASCII")
    require(FormEncoding.decode(encoded) == form, "form fields do not survive encoding")
    if let code = form["networkCode"], let network = MobileNetwork(networkCode: code) {
        require(["63902", "63903", "63907", "63999"].contains(code), "\(code) read as \(network)")
    }
    return 0
}
