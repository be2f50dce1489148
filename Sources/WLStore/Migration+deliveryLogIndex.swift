extension Migration {
    /// A firm's webhook deliveries, newest first (the delivery log: `GET /webhooks/deliveries`, the console, `wlcomm
    /// webhook deliveries`). Without it a firm's page walked the deliveries of every firm, newest first, until it had
    /// found its own: what one firm's log cost grew with the others' traffic. Each outbox row costs one more index
    /// entry; the listing then reads a bounded window of the firm's deliveries through it
    /// (``SQLStore/deliveryListing(firmID:filter:limit:startingAfter:window:)``).
    static let deliveryLogIndex = Migration(
        version: 27, name: "webhook deliveries by firm",
        sqlite: ["CREATE INDEX webhook_deliveries_firm ON webhook_deliveries (firm_id, id)"],
        postgres: ["CREATE INDEX webhook_deliveries_firm ON webhook_deliveries (firm_id, id)"])
}
