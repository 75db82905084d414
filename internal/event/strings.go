package event

import "iter"

// Strings yields the string elements of a JSON array value (an alert's
// Evidence), in order and decoded; other elements are skipped. It stops at
// the first element it cannot read. The strings may alias array: copy one
// to keep it.
func Strings(array []byte) iter.Seq[string] {
	return func(yield func(string) bool) {
		s := scanner{b: array}
		s.skipSpace()
		if s.peek() != '[' {
			return
		}
		s.i++
		for {
			s.skipSpace()
			switch s.peek() {
			case ']', 0:
				return
			case ',':
				s.i++
			case '"':
				v, err := s.string(1)
				if err != nil || !yield(v) {
					return
				}
			default:
				if s.value(1) != nil {
					return
				}
			}
		}
	}
}
