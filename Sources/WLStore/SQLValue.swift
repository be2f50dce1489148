public import Foundation

/// A value bound to, or read from, SQL. The store keeps only integers, text and NULL, so both engines agree exactly:
/// money is integer units, instants are epoch milliseconds, flags are 0 or 1.
public enum SQLValue: Sendable, Hashable {
    case int(Int64)
    case text(String)
    case null

    /// `NULL` for `nil`, else the integer.
    public static func int(_ value: Int64?) -> SQLValue { value.map(SQLValue.int) ?? .null }
    /// `NULL` for `nil`, else the text.
    public static func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    /// An instant as epoch milliseconds, `NULL` for `nil`.
    public static func time(_ value: Date?) -> SQLValue { .int(value.map(Self.milliseconds)) }

    /// Epoch milliseconds of `date`.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

/// The column names of one result, shared by all its rows (a dictionary per row cost a tenth of the dispatcher's
/// CPU in decoding batches).
final class SQLColumns: Sendable {
    /// Each name's position in a row; a name given twice means its last position.
    let positions: [String: Int]

    init(_ names: [String]) {
        self.positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { $1 })
    }
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    let columns: SQLColumns
    let cells: [SQLValue]

    init(columns: SQLColumns, cells: [SQLValue]) {
        self.columns = columns
        self.cells = cells
    }

    /// The value of `column`, or nil when the result has no such column.
    private func cell(_ column: String) -> SQLValue? { columns.positions[column].map { cells[$0] } }

    /// A non-null integer column.
    func int(_ column: String) throws -> Int64 {
        guard let value = try optionalInt(column) else { throw StoreError.corrupt("\(column) is NULL") }
        return value
    }

    /// An integer column that may be NULL.
    func optionalInt(_ column: String) throws -> Int64? {
        switch cell(column) {
        case .int(let value): return value
        case .null: return nil
        case .text(let text):
            guard let value = Int64(text) else { throw StoreError.corrupt("\(column) is not an integer") }
            return value
        case nil: throw StoreError.corrupt("no column \(column)")
        }
    }

    /// A non-null text column.
    func text(_ column: String) throws -> String {
        guard let value = try optionalText(column) else { throw StoreError.corrupt("\(column) is NULL") }
        return value
    }

    /// A text column that may be NULL.
    func optionalText(_ column: String) throws -> String? {
        switch cell(column) {
        case .text(let value): return value
        case .null: return nil
        case .int(let value): return String(value)
        case nil: throw StoreError.corrupt("no column \(column)")
        }
    }

    /// An epoch-milliseconds column as a date.
    func time(_ column: String) throws -> Date { Date(milliseconds: try int(column)) }

    /// An epoch-milliseconds column that may be NULL.
    func optionalTime(_ column: String) throws -> Date? { try optionalInt(column).map(Date.init(milliseconds:)) }

    /// A text column holding a raw-value enum.
    func value<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue == String {
        let raw = try text(column)
        guard let value = T(rawValue: raw) else { throw StoreError.corrupt("\(column) has unknown value \(raw)") }
        return value
    }
}

extension Date {
    /// The instant `milliseconds` after the Unix epoch.
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
