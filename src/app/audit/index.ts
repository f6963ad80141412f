// The API-token audit trail: events, hourly usage, and reading them back.
export * from "./record-audit-event"
export * from "./usage-aggregator"
export * from "./list-audit-events"
