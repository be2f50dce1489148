import Hummingbird
import WLDomain

/// The link an invited user opens: `console.publicURL` when it is set, else this server's own address (from the
/// request's `Host`, `http` only for loopback hosts), then `/console/invite/{token}`.
enum InviteLink {
    static func url(_ token: SessionToken, request: Request, publicURL: String?) -> String {
        if let publicURL { return publicURL + "/console/invite/" + token.secret }
        let host = request.head.authority ?? "localhost"
        let loopback = host.hasPrefix("localhost") || host.hasPrefix("127.") || host.hasPrefix("[::1]")
        return (loopback ? "http://" : "https://") + host + "/console/invite/" + token.secret
    }
}
