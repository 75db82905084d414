package pigmentsim

import (
	"strconv"
	"time"
)

// This file holds the append-based JSON primitives used on the serving path:
// no reflection, no allocation beyond growing dst.

const hexDigits = "0123456789abcdef"

// appendTime appends t as a quoted RFC 3339 UTC timestamp with millisecond
// precision ("2024-01-15T10:30:05.123Z"), or nanosecond precision when t has
// sub-millisecond digits (injected events).
func appendTime(dst []byte, ns int64) []byte {
	t := time.Unix(0, ns).UTC()
	if ns%int64(time.Millisecond) != 0 {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	}
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / int(time.Millisecond)
	dst = append(dst, '"')
	dst = append4(dst, year)
	dst = append(dst, '-')
	dst = append2(dst, int(month))
	dst = append(dst, '-')
	dst = append2(dst, day)
	dst = append(dst, 'T')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	dst = append(dst, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
	return dst
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

func append4(dst []byte, v int) []byte {
	if v < 0 || v > 9999 {
		return strconv.AppendInt(dst, int64(v), 10)
	}
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// appendUUID appends the canonical lowercase form of the 128-bit value hi:lo
// (36 characters, unquoted).
func appendUUID(dst []byte, hi, lo uint64) []byte {
	var b [36]byte
	j := 0
	for i := 0; i < 16; i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		var v byte
		if i < 8 {
			v = byte(hi >> (56 - 8*i))
		} else {
			v = byte(lo >> (56 - 8*(i-8)))
		}
		b[j], b[j+1] = hexDigits[v>>4], hexDigits[v&0xf]
		j += 2
	}
	return append(dst, b[:]...)
}

// appendQuotedUUID appends hi:lo as a quoted UUID string.
func appendQuotedUUID(dst []byte, hi, lo uint64) []byte {
	dst = append(dst, '"')
	dst = appendUUID(dst, hi, lo)
	return append(dst, '"')
}

// appendIPv4 appends the quoted dotted form of the address held in v.
func appendIPv4(dst []byte, v uint32) []byte {
	dst = append(dst, '"')
	for i := 3; i >= 0; i-- {
		dst = strconv.AppendUint(dst, uint64(byte(v>>(8*i))), 10)
		if i > 0 {
			dst = append(dst, '.')
		}
	}
	return append(dst, '"')
}

// appendKV appends key, a literal that runs up to a member's value
// (`,"email":`), then v, the value already in JSON: a quoted string kept on
// the workspace, or a literal.
func appendKV[V string | []byte](b []byte, key string, v V) []byte {
	return append(append(b, key...), v...)
}
