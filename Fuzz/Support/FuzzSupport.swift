// Compiled into every fuzz target beside its Targets/*Fuzz.swift file.

/// The fuzzer's bytes as text, invalid UTF-8 replaced by U+FFFD, as the HTTP layer reads request bodies.
func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    String(decoding: fuzzBytes(data, size), as: UTF8.self)
}

/// The fuzzer's bytes.
func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the process when an invariant does not hold, so libFuzzer keeps the input as a crash reproducer.
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("fuzz invariant broken: \(message())", file: file, line: line) }
}
