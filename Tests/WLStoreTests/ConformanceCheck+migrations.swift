import Testing
import WLPorts

@testable import WLStore

extension ConformanceCheck {
    static let migrations: [ConformanceCheck] = [
        ConformanceCheck("migrating again applies nothing") { store in
            let applied = try await store.migrate()
            #expect(applied.isEmpty)
        },
        ConformanceCheck("migrations are recorded in order") { store in
            let rows = try await store.database.read { try await $0.query("SELECT version, name FROM schema_migrations ORDER BY version") }
            #expect(try rows.map { try $0.int("version") } == Migration.all.map { Int64($0.version) })
        },
        ConformanceCheck("a database migrated by an unknown build is refused") { store in
            let renamed = Migration.all.enumerated().map { index, migration in
                var migration = migration
                if index == 0 { migration.name += "-renamed" }
                return migration
            }
            let first = Migration.all[0]
            let mismatch = StoreError.migrationMismatch(
                "the database has migration \(first.version) \(first.name), which this build does not know")
            await #expect(throws: mismatch) {
                try await Migrator.migrate(store.database, migrations: renamed)
            }
        },
        ConformanceCheck("concurrent migrations apply each version once") { store in
            let extra = Migration(
                version: Migration.all.count + 1, name: "extra",
                sqlite: ["CREATE TABLE extra_table (id BIGINT)"], postgres: ["CREATE TABLE extra_table (id BIGINT)"])
            let list = Migration.all + [extra]
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator.migrate(store.database, migrations: list) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(applied == [extra.version])
        },
        ConformanceCheck("ping answers") { store in
            try await store.ping()
        },
    ]
}
