// Package e2e holds the end-to-end tests that run the product's programs
// together: the Pigment simulator serving a labelled stream, `extract run`
// and `detect run` as processes against a Kafka broker over TCP and the
// local Postgres. It has no code of its own.
package e2e
