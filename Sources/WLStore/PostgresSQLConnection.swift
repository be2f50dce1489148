import Logging
import PostgresNIO

/// One PostgreSQL connection seen through ``SQLConnection``.
///
/// A statement whose text ``PostgresStatementNames`` has named runs as a prepared statement: PostgreSQL parses it
/// once per connection and PostgresNIO keeps it there, so a hot statement (a dispatch batch's writes, a claim, the
/// accept path's inserts) is never parsed again on that connection. Any other statement runs unnamed.
struct PostgresSQLConnection: SQLConnection, @unchecked Sendable {
    let connection: PostgresConnection
    let names: PostgresStatementNames
    let logger: Logger

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        var types: [PostgresDataType] = []
        types.reserveCapacity(binds.count)
        for bind in binds {
            switch bind {
            case .int(let value):
                bindings.append(value)
                types.append(.int8)
            case .text(let value):
                bindings.append(value)
                types.append(.text)
            case .null:
                bindings.appendNull()
                types.append(.null)
            }
        }
        let key = PostgresStatementNames.Key(sql: sql, types: types)
        do {
            if let name = names.name(of: key, connection: connection.id) {
                let text = RuntimeStatement.Text(name: name, sql: sql, types: types)
                do {
                    return try await RuntimeStatement.$text.withValue(text) {
                        try await Self.rows(of: connection.execute(RuntimeStatement(bindings: bindings), logger: logger))
                    }
                } catch let error as PSQLError {
                    if error.code == .server, error.serverInfo?[.sqlState]?.hasPrefix("23") != true {
                        names.spoil(name, connection: connection.id)
                    }
                    throw error
                }
            }
            let rows = try await Self.rows(of: connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
            names.ranUnnamed(key)
            return rows
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError.uniqueViolation(error.serverInfo?[.message] ?? "unique violation")
        }
    }

    private static func rows<Rows: AsyncSequence>(of sequence: Rows) async throws -> [SQLRow] where Rows.Element == PostgresRow {
        var result: [SQLRow] = []
        var columns: SQLColumns?
        for try await row in sequence {
            let shared = columns ?? SQLColumns(row.map(\.columnName))
            columns = shared
            result.append(SQLRow(columns: shared, cells: try row.map(value(of:))))
        }
        return result
    }

    static func value(of cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2: return .int(try cell.decode(Int64.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// A prepared statement whose text is chosen at run time.
///
/// PostgresNIO takes a prepared statement's name, text and parameter types from its type (static requirements), and
/// reads them once, when the statement is sent; so they come from a task-local value set around each execution.
private struct RuntimeStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name = ""
        var sql = ""
        var types: [PostgresDataType] = []
    }

    @TaskLocal static var text = Text()

    static var name: String { text.name }
    static var sql: String { text.sql }
    static var bindingDataTypes: [PostgresDataType] { text.types }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
