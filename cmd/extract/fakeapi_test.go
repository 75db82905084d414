package main

import "github.com/pigment-siem/pipeline/internal/testkit"

// fakeAPIEnv is the environment of an extract process on stack s reading
// the FakeAPI f instead of the simulator.
func fakeAPIEnv(f *testkit.FakeAPI, s *stack, overrides map[string]string) map[string]string {
	e := s.env(overrides)
	e["PIGMENT_API_URL"] = f.URL
	return e
}
