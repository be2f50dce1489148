import Metrics
import Synchronization
import WLStore

/// `wlcomm_database_up` (1 while the database answers, 0 during an outage) and `wlcomm_database_outages_total`.
enum DatabaseMetrics {
    static func observe(_ availability: DatabaseAvailability) {
        let up = Gauge(label: "wlcomm_database_up")
        let outages = Counter(label: "wlcomm_database_outages_total")
        let counted = Mutex(0)
        availability.observe { isUp, total in
            up.record(isUp ? 1 : 0)
            let new = counted.withLock { counted in
                defer { counted = max(counted, total) }
                return total - counted
            }
            if new > 0 { outages.increment(by: new) }
        }
    }
}
