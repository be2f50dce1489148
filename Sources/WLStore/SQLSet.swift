/// Rows handed to one statement as ONE JSON parameter, so a batch of any size is one statement whose text never
/// changes: each row is a JSON array of its values in column order, which PostgreSQL reads with
/// `jsonb_array_elements`, SQLite with `jsonb_each`, taking each column by its position (`->> n`). Set-based writes
/// (`UPDATE … FROM`, `INSERT … SELECT`) join against it.
///
/// Arrays, not objects keyed by column name: the parameter is about half the size to parse, and a column is found by
/// its position instead of by comparing names. On SQLite, name lookups were a fifth of the one writer thread during a
/// blast's dispatch. `--only blasts --blasts 3`, alternating builds, dispatch medians: SQLite 15,000 → 17,300 msg/s,
/// PostgreSQL 5,660 → 6,470 (docs/benchmarks-history.md).
///
/// On SQLite `jsonb_each`, not `json_each`: `json_each` hands each row over as JSON text, which `->>` then parses
/// again, once per row and column set; with the binary form each row is a slice of the one parse. In `perf`, JSON
/// text conversion was a third of SQLite's writer thread during a blast's dispatch.
struct SQLSet: Sendable {
    /// The SQL type of a column.
    enum Kind: Sendable {
        case int
        case text

        var postgres: String { self == .int ? "BIGINT" : "TEXT" }
    }

    /// The columns, in the order each row gives its values.
    let columns: [(name: String, kind: Kind)]

    init(_ columns: [(name: String, kind: Kind)]) { self.columns = columns }

    /// A `FROM` item that yields the rows of parameter `$parameter` as `alias`, one column per ``columns`` entry
    /// (on PostgreSQL cast to its ``Kind``), and `ord`, each row's position from the start (`ORDER BY v.ord` inserts
    /// rows in the order given).
    func source(_ dialect: SQLDialect, parameter: Int, alias: String = "v") -> String {
        switch dialect {
        case .postgres:
            let fields = columns.enumerated().map { index, column in
                "CAST(r.value ->> \(index) AS \(column.kind.postgres)) AS \(column.name)"
            }.joined(separator: ", ")
            return "(SELECT \(fields), r.ordinality AS ord FROM jsonb_array_elements(CAST($\(parameter) AS jsonb)) WITH ORDINALITY AS r) AS \(alias)"
        case .sqlite:
            let fields = columns.enumerated().map { index, column in "value ->> \(index) AS \(column.name)" }.joined(separator: ", ")
            return "(SELECT \(fields), key AS ord FROM jsonb_each($\(parameter))) AS \(alias)"
        }
    }

    /// A condition that holds when `column` equals the `key` of one of the rows bound at `$parameter`.
    ///
    /// PostgreSQL gets `column = ANY(ARRAY(SELECT …))` (``SQLDialect/idIn(_:column:)``), which it answers from
    /// `column`'s index whatever the table's size. It cannot know how many rows a bound set holds
    /// (a set-returning function counts as 100), and with `column IN (SELECT …)` it hash-joined whole tables of some
    /// thousands of rows, read from start to end, to find a batch of fifty: the dispatcher's and the webhook
    /// deliverer's statements slowed as the tables grew.
    func matches(_ column: String, key: String = "id", _ dialect: SQLDialect, parameter: Int) -> String {
        dialect.idIn("SELECT k.\(key) FROM \(source(dialect, parameter: parameter, alias: "k"))", column: column)
    }

    /// The rows as the JSON text to bind: an array of rows, each an array of one value per column, in column order.
    /// Built as bytes in one buffer: linear in the size of the rows (appending to a `String` piece by piece copied it
    /// over and over).
    func parameter(_ rows: [[SQLValue]]) -> SQLValue {
        var json: [UInt8] = []
        json.reserveCapacity(rows.count * columns.count * 24 + 2)
        json.append(UInt8(ascii: "["))
        for (index, row) in rows.enumerated() {
            precondition(row.count == columns.count, "a row of \(row.count) values for \(columns.count) columns")
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json.append(UInt8(ascii: "["))
            for (position, value) in row.enumerated() {
                if position > 0 { json.append(UInt8(ascii: ",")) }
                switch value {
                case .int(let number): json.append(contentsOf: String(number).utf8)
                case .text(let text): Self.appendString(text, to: &json)
                case .null: json.append(contentsOf: "null".utf8)
                }
            }
            json.append(UInt8(ascii: "]"))
        }
        json.append(UInt8(ascii: "]"))
        return .text(String(decoding: json, as: UTF8.self))
    }

    /// Appends `text` as a JSON string literal (UTF-8 passes through; quotes, backslashes and control characters
    /// are escaped).
    static func appendString(_ text: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        // Nearly every value needs no escape: one copy of its bytes instead of a branch and an append per byte.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            json.append(contentsOf: text.utf8)
            json.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                json.append(contentsOf: Array("\\u00".utf8))
                json.append(hex[Int(byte >> 4)])
                json.append(hex[Int(byte & 0xF)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}
