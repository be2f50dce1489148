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
    /// The names in the order of each row's cells.
    let names: [String]
    /// Each name's position in a row; a name given twice means its last position.
    let positions: [String: Int]

    init(_ names: [String]) {
        self.names = names
        self.positions = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { $1 })
    }
}

/// One result row, read by column name or, through ``arranged(as:)``, by position.
public struct SQLRow: Sendable {
    let columns: SQLColumns
    let cells: [SQLValue]

    init(columns: SQLColumns, cells: [SQLValue]) {
        self.columns = columns
        self.cells = cells
    }

    /// This row with its cells in `layout`'s order, so that a decoder reads each by its position in `layout` instead
    /// of hashing its name: the row itself when the result has exactly those columns (the usual case, a comparison of
    /// names), a rearranged copy otherwise.
    /// - Throws: ``StoreError/corrupt(_:)`` when a column of `layout` is missing.
    func arranged(as layout: SQLColumns) throws -> SQLRow {
        if columns === layout || columns.names == layout.names { return self }
        return SQLRow(columns: layout, cells: try layout.names.map { cells[try position($0)] })
    }

    private func position(_ column: String) throws -> Int {
        guard let position = columns.positions[column] else { throw StoreError.corrupt("no column \(column)") }
        return position
    }

    /// A non-null integer column.
    func int(_ column: String) throws -> Int64 { try int(at: position(column)) }

    /// An integer column that may be NULL.
    func optionalInt(_ column: String) throws -> Int64? { try optionalInt(at: position(column)) }

    /// A non-null text column.
    func text(_ column: String) throws -> String { try text(at: position(column)) }

    /// A text column that may be NULL.
    func optionalText(_ column: String) throws -> String? { try optionalText(at: position(column)) }

    /// An epoch-milliseconds column as a date.
    func time(_ column: String) throws -> Date { try time(at: position(column)) }

    /// An epoch-milliseconds column that may be NULL.
    func optionalTime(_ column: String) throws -> Date? { try optionalTime(at: position(column)) }

    /// A text column holding a raw-value enum.
    func value<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue == String {
        try value(at: position(column), as: type)
    }

    /// The non-null integer in cell `position`.
    func int(at position: Int) throws -> Int64 {
        guard let value = try optionalInt(at: position) else { throw StoreError.corrupt("\(columns.names[position]) is NULL") }
        return value
    }

    /// The integer or NULL in cell `position`.
    func optionalInt(at position: Int) throws -> Int64? {
        switch cells[position] {
        case .int(let value): return value
        case .null: return nil
        case .text(let text):
            guard let value = Int64(text) else { throw StoreError.corrupt("\(columns.names[position]) is not an integer") }
            return value
        }
    }

    /// The non-null text in cell `position`.
    func text(at position: Int) throws -> String {
        guard let value = try optionalText(at: position) else { throw StoreError.corrupt("\(columns.names[position]) is NULL") }
        return value
    }

    /// The text or NULL in cell `position`.
    func optionalText(at position: Int) throws -> String? {
        switch cells[position] {
        case .text(let value): return value
        case .null: return nil
        case .int(let value): return String(value)
        }
    }

    /// The epoch-milliseconds in cell `position` as a date.
    func time(at position: Int) throws -> Date { Date(milliseconds: try int(at: position)) }

    /// The epoch-milliseconds or NULL in cell `position`.
    func optionalTime(at position: Int) throws -> Date? { try optionalInt(at: position).map(Date.init(milliseconds:)) }

    /// The raw-value enum in cell `position`.
    func value<T: RawRepresentable>(at position: Int, as type: T.Type) throws -> T where T.RawValue == String {
        let raw = try text(at: position)
        guard let value = T(rawValue: raw) else { throw StoreError.corrupt("\(columns.names[position]) has unknown value \(raw)") }
        return value
    }
}

extension Date {
    /// The instant `milliseconds` after the Unix epoch.
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
