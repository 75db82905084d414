package event

import (
	"iter"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// Strings yields the string elements of a JSON array value (an alert's
// Evidence), in order and decoded; other elements are skipped. It stops at
// the first element it cannot read. The strings may alias array: copy one
// to keep it.
func Strings(array []byte) iter.Seq[string] {
	return func(yield func(string) bool) {
		s := jsonscan.Scanner{B: array}
		s.SkipSpace()
		if s.Peek() != '[' {
			return
		}
		s.I++
		for n := 0; ; n++ {
			if ok, err := s.Element(n); !ok || err != nil {
				return
			}
			if s.Peek() != '"' {
				if s.Value(1) != nil {
					return
				}
				continue
			}
			if v, err := s.String(1); err != nil || !yield(v) {
				return
			}
		}
	}
}
