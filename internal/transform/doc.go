// Package transform turns Pigment audit events and pipeline alerts, as read
// from Kafka, into what each SIEM ingests: Splunk HEC events, Elastic Common
// Schema documents, RFC 5424 syslog lines and CEF. It is pure: bytes in,
// bytes out, no I/O.
//
// A record is read once with event.Parse; each format is then an Append
// function over the *event.Event writing into a caller-owned buffer, so a
// forwarder reusing its buffers formats an event without allocating.
//
// All functions are safe for concurrent use.
package transform
