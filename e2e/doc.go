// Package e2e holds the end-to-end tests that run the product's programs
// together: the Pigment simulator serving a labelled stream, `extract run`
// and `detect run` as processes against a Kafka broker over TCP and the
// local Postgres; and the freshness test and benchmark, the whole pipeline
// on its defaults from the simulator to `forward run` into a strict HEC
// receiver. It has no code of its own.
package e2e
