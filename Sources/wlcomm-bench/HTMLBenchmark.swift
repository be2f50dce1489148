import Foundation
import WLDomain

/// Times HTML-to-text and link tracking on degenerate bodies of 50,000, 100,000 and 200,000 characters and prints the
/// time per 1,000 characters: linear code keeps that figure flat as the body grows (the 200k ÷ 50k ratio near 1),
/// where the old regular expressions grew with the length (a ratio near 4).
enum HTMLBenchmark {
    static let shapes: [(name: String, unit: String)] = [
        ("unclosed <a href>", #"<a href="x">"#), ("unclosed <head", " x"), ("unclosed <script>", "a<b>"),
        ("nested <div>", "<div>"), ("tracked links", #"<a href="https://x.example/p">"#),
    ]

    static func run() {
        let signer = TrackingSigner(secret: "bench")
        for shape in shapes {
            var perThousand: [Double] = []
            for length in [50_000, 100_000, 200_000] {
                let prefix = shape.name == "unclosed <head" ? "<head" : shape.name == "unclosed <script>" ? "<script>" : ""
                let html = prefix + String(repeating: shape.unit, count: length / shape.unit.count)
                let start = ContinuousClock.now
                if shape.name == "tracked links" {
                    _ = TrackableHTML(html).render(messageID: 1, signer: signer, baseURL: "https://wl.example")
                } else {
                    _ = HTMLText.text(fromHTML: html)
                }
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                perThousand.append(seconds * 1e6 / Double(html.count) * 1_000)
            }
            print(
                String(
                    format: "HTML %@: %.0f / %.0f / %.0f µs per 1,000 characters at 50k / 100k / 200k; 200k ÷ 50k = %.2f", shape.name,
                    perThousand[0], perThousand[1], perThousand[2], perThousand[2] / perThousand[0]))
        }
    }
}
