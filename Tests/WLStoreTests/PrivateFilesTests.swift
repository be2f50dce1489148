import Foundation
import Logging
import Testing
import WLDomain
import WLPorts

@testable import WLStore

/// The SQLite files and the secrets key file are readable by the service's user only.
@Suite struct PrivateFilesTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wlcomm-private-\(UUID().uuidString)").appendingPathComponent("data")
    var databasePath: String { folder.appendingPathComponent("wlcomm.sqlite").path }

    private func cleanUp() { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }

    @Test func aNewDatabaseAndItsWALFilesAreOwnerOnlyInAnOwnerOnlyFolder() async throws {
        defer { cleanUp() }
        let database = try await SQLiteDatabase.open(path: databasePath, readers: 1, logger: TestDatabases.logger)
        let store = SQLStore(database: database)
        do {
            try await store.migrate()
            for path in [databasePath, databasePath + "-wal", databasePath + "-shm"] {
                #expect(try PrivateFile.mode(of: path) & 0o777 == 0o600, "\(path)")
            }
            #expect(try PrivateFile.mode(of: folder.path) & 0o777 == 0o700)
            try await database.close()
        } catch {
            try? await database.close()
            throw error
        }
    }

    @Test func aRestoreIsRefusedWhileTheDatabaseIsOpenAndABackupIsOwnerOnlyFromItsFirstByte() async throws {
        defer { cleanUp() }
        let database = try await SQLiteDatabase.open(path: databasePath, readers: 1, logger: TestDatabases.logger)
        let backup = folder.appendingPathComponent("backup.sqlite").path
        do {
            try await SQLStore(database: database).migrate()
            _ = try await SQLiteBackup.backUp(databasePath: databasePath, to: backup, logger: TestDatabases.logger)
            #expect(try PrivateFile.mode(of: backup) & 0o777 == 0o600)
            let refused = await #expect(throws: SQLiteBackupError.self) {
                _ = try await SQLiteBackup.restore(backupPath: backup, to: databasePath, replace: true, logger: TestDatabases.logger)
            }
            #expect(refused?.description.contains("is open in a running server or command; stop it first") == true)
            try await database.close()
        } catch {
            try? await database.close()
            throw error
        }
        // Closed: the restore goes ahead, and the database opens again.
        _ = try await SQLiteBackup.restore(backupPath: backup, to: databasePath, replace: true, logger: TestDatabases.logger)
        let reopened = try await SQLiteDatabase.open(path: databasePath, readers: 1, logger: TestDatabases.logger)
        try await reopened.close()
        // A file planted at the backup's path first is never written to.
        let planted = folder.appendingPathComponent("planted.sqlite").path
        #expect(FileManager.default.createFile(atPath: planted, contents: Data()))
        let exists = await #expect(throws: SQLiteBackupError.self) {
            _ = try await SQLiteBackup.backUp(databasePath: databasePath, to: planted, logger: TestDatabases.logger)
        }
        #expect(exists?.description == "\(planted) already exists; choose a new file.")
        #expect(try FileManager.default.attributesOfItem(atPath: planted)[.size] as? Int == 0)
    }

    @Test func withoutAConfiguredKeySQLiteCreatesOneOwnerOnlyKeyFileBesideTheDatabaseAndReusesIt() throws {
        defer { cleanUp() }
        let location = StoreLocation.sqlite(path: databasePath)
        #expect(location.keyFilePath == databasePath + ".key")
        let first = try location.secretBox(SecretKeySettings(), logger: TestDatabases.logger)
        let keyFile = try #require(location.keyFilePath)
        #expect(try PrivateFile.mode(of: keyFile) & 0o777 == 0o600)
        #expect(try PrivateFile.mode(of: folder.path) & 0o777 == 0o700)
        let stored = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(SecretBox.keyID(ofBase64: stored) == first.currentKeyID)
        let second = try location.secretBox(SecretKeySettings(), logger: TestDatabases.logger)
        #expect(second.currentKeyID == first.currentKeyID)
        #expect(try second.open(first.seal("s")).plaintext == "s")
    }

    @Test func aConfiguredKeySealsAndAnExistingKeyFileStillOpens() throws {
        defer { cleanUp() }
        let location = StoreLocation.sqlite(path: databasePath)
        let fromFile = try location.secretBox(SecretKeySettings(), logger: TestDatabases.logger)
        let key = SecretBox.generateKey()
        let configured = try location.secretBox(SecretKeySettings(key: key), logger: TestDatabases.logger)
        #expect(configured.currentKeyID == SecretBox.keyID(ofBase64: key))
        #expect(try configured.open(fromFile.seal("s")) == OpenedSecret(plaintext: "s", sealing: .previousKey))
    }

    @Test func aConfiguredKeyCreatesNoKeyFile() throws {
        defer { cleanUp() }
        let location = StoreLocation.sqlite(path: databasePath)
        _ = try location.secretBox(SecretKeySettings(key: SecretBox.generateKey()), logger: TestDatabases.logger)
        #expect(!FileManager.default.fileExists(atPath: databasePath + ".key"))
    }

    @Test func postgreSQLWithoutAKeyIsRefusedNamingTheSetting() throws {
        let location = StoreLocation.postgres(url: "postgres://wl:pw@127.0.0.1:1/wl")
        #expect(location.keyFilePath == nil)
        let error = #expect(throws: SecretKeyConfigurationError.self) { try location.secretBox(SecretKeySettings(), logger: TestDatabases.logger) }
        #expect(error?.message.contains("WLCOMM_SECRETS_KEY") == true)
        let key = SecretBox.generateKey()
        #expect(try location.secretBox(SecretKeySettings(key: key), logger: TestDatabases.logger).currentKeyID == SecretBox.keyID(ofBase64: key))
    }

    @Test func anUnusableConfiguredKeyIsRefusedNamingTheSetting() {
        let error = #expect(throws: SecretKeyConfigurationError.self) {
            try StoreLocation.postgres(url: "postgres://wl@db/wl").secretBox(
                SecretKeySettings(key: SecretBox.generateKey(), previousKeys: "short,"), logger: TestDatabases.logger)
        }
        #expect(error?.message.contains("secrets.previousKeys") == true)
    }

    @Test func previousKeysAreCommaSeparatedAndBlanksIgnored() {
        let settings = SecretKeySettings(key: "  ", previousKeys: " a , ,b,")
        #expect(settings == SecretKeySettings(key: nil, previousKeys: ["a", "b"]))
    }
}
