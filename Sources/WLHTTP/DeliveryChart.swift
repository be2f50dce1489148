import WLServices

/// The Messages page's chart, drawn on the server as SVG: one stacked bar per day (delivered, failed, pending), each
/// part also told by a pattern and by the text in its `<title>` and the table-like legend, so no information is
/// carried by colour alone.
enum DeliveryChart {
    static let width = 640
    static let height = 220
    static let plotTop = 16
    static let plotBottom = 180

    static func svg(_ stats: DeliveryStats) -> String {
        let days = stats.days
        let tallest = max(days.map { $0.delivered + $0.failed + $0.pending }.max() ?? 0, 1)
        let slot = Double(width - 40) / Double(max(days.count, 1))
        let scale = Double(plotBottom - plotTop) / Double(tallest)
        var parts: [String] = [
            ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \##(width) \##(height)" role="img" aria-labelledby="chart-title chart-desc" class="chart">"##,
            ##"<title id="chart-title">SMS per day: delivered, failed, pending</title>"##,
            ##"<desc id="chart-desc">\##(escape(summary(stats)))</desc>"##,
            ##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#b3261e"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern><pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#8a6d00"/><circle cx="3" cy="3" r="1.2" fill="#fff"/></pattern></defs>"##,
            ##"<line x1="30" y1="\##(plotBottom)" x2="\##(width - 5)" y2="\##(plotBottom)" stroke="#333"/>"##,
            ##"<text x="26" y="\##(plotTop + 4)" font-size="10" text-anchor="end">\##(tallest)</text>"##,
            ##"<text x="26" y="\##(plotBottom)" font-size="10" text-anchor="end">0</text>"##,
        ]
        for (index, day) in days.enumerated() {
            let x = 34 + Double(index) * slot
            let barWidth = max(slot - 4, 2)
            var y = Double(plotBottom)
            for (count, fill, label) in [
                (day.delivered, "#1b6e3a", "delivered"), (day.failed, "url(#hatch)", "failed"), (day.pending, "url(#dots)", "pending"),
            ]
            where count > 0 {
                let barHeight = Double(count) * scale
                y -= barHeight
                parts.append(
                    ##"<rect x="\##(format(x))" y="\##(format(y))" width="\##(format(barWidth))" height="\##(format(barHeight))" fill="\##(fill)"><title>\##(day.date): \##(count) \##(label)</title></rect>"##
                )
            }
            if index % max(days.count / 7, 1) == 0 {
                parts.append(
                    ##"<text x="\##(format(x + barWidth / 2))" y="\##(plotBottom + 14)" font-size="10" text-anchor="middle">\##(day.date.suffix(5))</text>"##
                )
            }
        }
        let legend = [("#1b6e3a", "Delivered (solid)"), ("url(#hatch)", "Failed (striped)"), ("url(#dots)", "Pending (dotted)")]
        for (index, item) in legend.enumerated() {
            let x = 40 + index * 190
            parts.append(##"<rect x="\##(x)" y="\##(height - 18)" width="12" height="12" fill="\##(item.0)"/>"##)
            parts.append(##"<text x="\##(x + 18)" y="\##(height - 8)" font-size="12">\##(item.1)</text>"##)
        }
        parts.append("</svg>")
        return parts.joined()
    }

    static func summary(_ stats: DeliveryStats) -> String {
        let delivered = stats.days.reduce(0) { $0 + $1.delivered }
        let failed = stats.days.reduce(0) { $0 + $1.failed }
        let pending = stats.days.reduce(0) { $0 + $1.pending }
        let networks = stats.networks.map { "\($0.network): \($0.delivered) delivered, \($0.failed) failed, \($0.pending) pending" }
        return "Last \(stats.days.count) days: \(delivered) delivered, \(failed) failed, \(pending) pending."
            + (networks.isEmpty ? "" : " By network: " + networks.joined(separator: "; ") + ".")
    }

    static func format(_ value: Double) -> String { String(Double(Int(value * 10)) / 10) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
