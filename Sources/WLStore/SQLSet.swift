/// Rows handed to one statement as ONE JSON parameter, so a batch of any size is one statement whose text never
/// changes: PostgreSQL reads the rows with `jsonb_to_recordset`, SQLite with `json_each`. Set-based writes
/// (`UPDATE … FROM`, `INSERT … SELECT`) join against it.
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

    /// A `FROM` item that yields the rows of parameter `$parameter` as `alias`, one column per ``columns`` entry,
    /// and `ord`, each row's position from the start (`ORDER BY v.ord` inserts rows in the order given).
    func source(_ dialect: SQLDialect, parameter: Int, alias: String = "v") -> String {
        switch dialect {
        case .postgres:
            let types = columns.map { "\($0.name) \($0.kind.postgres)" }.joined(separator: ", ")
            let names = columns.map(\.name).joined(separator: ", ")
            return "ROWS FROM (jsonb_to_recordset(CAST($\(parameter) AS jsonb)) AS (\(types))) WITH ORDINALITY AS \(alias)(\(names), ord)"
        case .sqlite:
            let fields = columns.map { "value ->> '\($0.name)' AS \($0.name)" }.joined(separator: ", ")
            return "(SELECT \(fields), key AS ord FROM json_each($\(parameter))) AS \(alias)"
        }
    }

    /// The rows as the JSON text to bind; each row holds one value per column, in column order.
    func parameter(_ rows: [[SQLValue]]) -> SQLValue {
        var json = "["
        json.reserveCapacity(rows.count * columns.count * 16)
        for (index, row) in rows.enumerated() {
            precondition(row.count == columns.count, "a row of \(row.count) values for \(columns.count) columns")
            if index > 0 { json += "," }
            json += "{"
            for (position, (column, value)) in zip(columns, row).enumerated() {
                if position > 0 { json += "," }
                json += "\"\(column.name)\":"
                switch value {
                case .int(let number): json += String(number)
                case .text(let text): Self.appendString(text, to: &json)
                case .null: json += "null"
                }
            }
            json += "}"
        }
        json += "]"
        return .text(json)
    }

    /// Appends `text` as a JSON string literal.
    static func appendString(_ text: String, to json: inout String) {
        json += "\""
        var plainStart = text.unicodeScalars.startIndex
        var index = plainStart
        let scalars = text.unicodeScalars
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String? =
                switch scalar {
                case "\"": "\\\""
                case "\\": "\\\\"
                case "\n": "\\n"
                case "\r": "\\r"
                case "\t": "\\t"
                default: scalar.value < 0x20 ? "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2) : nil
                }
            if let escape {
                json.unicodeScalars.append(contentsOf: scalars[plainStart..<index])
                json += escape
                plainStart = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        json.unicodeScalars.append(contentsOf: scalars[plainStart..<scalars.endIndex])
        json += "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
