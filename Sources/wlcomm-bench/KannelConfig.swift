import Foundation

/// The configuration of the Kannel the benchmark runs: one bearerbox (admin and box ports on 127.0.0.1, a store
/// file, a fake SMSC connection), one smsbox (`sendsms` on 127.0.0.1), one `sendsms` user. Logs at error level, so
/// logging costs Kannel nothing per message (ours logs nothing per request in the benchmark either).
enum KannelConfig {
    static let username = "bench"
    static let password = "bench"

    /// The configuration file for `ports`, with logs and the store in `folder`.
    static func text(ports: KannelPorts, folder: URL) -> String {
        let path = folder.path
        return """
            group = core
            admin-port = \(ports.admin)
            admin-interface = 127.0.0.1
            admin-password = \(password)
            smsbox-port = \(ports.box)
            box-allow-ip = 127.0.0.1
            log-file = "\(path)/bearerbox.log"
            log-level = 3
            store-type = file
            store-location = "\(path)/kannel.store"

            group = smsc
            smsc = fake
            smsc-id = fake
            port = \(ports.smsc)
            connect-allow-ip = 127.0.0.1

            group = smsbox
            bearerbox-host = 127.0.0.1
            bearerbox-port = \(ports.box)
            sendsms-port = \(ports.sendsms)
            sendsms-interface = 127.0.0.1
            log-file = "\(path)/smsbox.log"
            log-level = 3

            group = sendsms-user
            username = \(username)
            password = \(password)
            default-sender = 12345

            group = sms-service
            keyword = default
            text = "ok"

            """
    }
}
