package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
)

// The memory budget (FORWARD_MEMORY_LIMIT) bounds what forward run holds:
// the consumer's fetches, the batches in the pipeline and Go's heap. It
// defaults to the container's memory limit (cgroup v2 memory.max, or v1
// memory.limit_in_bytes) and, without one, to defaultMemoryLimit.
//
// What is in memory at once, whatever the backlog: per assigned partition
// the largest record batch of its fetches (each fetch at most fetchBytes,
// read batch by batch) and a chunk of records, the consumer's shared
// decompression buffers (two to four, not scaled by the budget; README,
// "Memory"), FORWARD_SENDERS + 5 batches of at most batchBytes formatted
// bytes plus their Kafka values (internal/forwarder), the request bodies
// being sent and, for HEC with gzip, a compressor per sender compressing
// (about 0.8 MiB each at level 1, up to 16 kept between sends). With
// SPLUNK_HEC_ACK, up to SPLUNK_HEC_ACK_PENDING_BYTES of batches awaiting
// their acknowledgement come on top: the budget does not scale them. The
// shares below keep the rest under half of the budget at the defaults (3
// partitions, 4 senders); Go's soft memory limit (goLimit) then makes the
// garbage collector work harder rather than let the heap grow past the
// budget, leaving room for what the runtime holds outside the heap
// (stacks, the binary, pages not yet returned).
const (
	defaultMemoryLimit = 100 << 20
	minMemoryLimit     = 32 << 20
)

// memoryBudget is the resolved budget and where it came from.
type memoryBudget struct {
	limit int64
	from  string // "FORWARD_MEMORY_LIMIT", "cgroup" or "default"
}

// resolveMemoryBudget returns the configured budget (text, "" if unset),
// else the cgroup's limit read from the files at cgroupFiles, else the
// default.
func resolveMemoryBudget(text string, cgroupFiles ...string) (memoryBudget, error) {
	if text != "" {
		n, err := parseBytes(text)
		if err != nil {
			return memoryBudget{}, fmt.Errorf("FORWARD_MEMORY_LIMIT %q: %w", text, err)
		}
		if n < minMemoryLimit {
			return memoryBudget{}, fmt.Errorf("FORWARD_MEMORY_LIMIT %q: want at least 32MiB", text)
		}
		return memoryBudget{limit: n, from: "FORWARD_MEMORY_LIMIT"}, nil
	}
	for _, f := range cgroupFiles {
		if n, ok := cgroupLimit(f); ok {
			return memoryBudget{limit: max(n, minMemoryLimit), from: "cgroup"}, nil
		}
	}
	return memoryBudget{limit: defaultMemoryLimit, from: "default"}, nil
}

// cgroupFiles are where cgroup v2 and v1 state the container's limit.
var cgroupFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// cgroupLimit reads a cgroup memory limit; "max" (v2) and v1's huge
// "unlimited" value are no limit.
func cgroupLimit(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 || n >= 1<<50 {
		return 0, false
	}
	return n, true
}

// parseBytes reads a size: plain bytes, or with a unit (KiB, MiB, GiB, or
// K, M, G, taken as the same powers of 1024).
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}}
	mult := int64(1)
	s = strings.TrimSpace(s)
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("want a positive size such as 100MiB or 1GiB")
	}
	return n * mult, nil
}

// goLimit is Go's soft memory limit: seven tenths of the budget.
func (b memoryBudget) goLimit() int64 { return b.limit * 7 / 10 }

// fetchBytes is the largest fetch per partition: a sixteenth of the
// budget, between 1 and 16 MiB (the consumer's default, reached at 256 MiB).
func (b memoryBudget) fetchBytes() int { return int(min(max(b.limit/16, 1<<20), 16<<20)) }

// batchBytes is FORWARD_BATCH_BYTES, lowered to a thirty-second of the
// budget (at least 256 KiB) when that is less.
func (b memoryBudget) batchBytes(configured int) int {
	return min(configured, int(max(b.limit/32, 256<<10)))
}

// apply sets Go's soft memory limit and logs the budget and what it sets.
// An operator's GOMEMLIMIT (goMemLimit, as set; the runtime read it at
// start) is kept: it is Go's own setting, and replacing it would silently
// undo a deliberate choice. "off" is kept as no limit (math.MaxInt64); a
// malformed value never gets here: the runtime refuses to start.
func (b memoryBudget) apply(log zerolog.Logger, configuredBatch int, goMemLimit string) {
	goLimit, from := b.goLimit(), "budget"
	if goMemLimit != "" {
		goLimit, from = debug.SetMemoryLimit(-1), "GOMEMLIMIT" // -1 reads it
	} else {
		debug.SetMemoryLimit(goLimit)
	}
	log.Info().Int64("memory_limit", b.limit).Str("from", b.from).Int64("go_memory_limit", goLimit).
		Str("go_memory_limit_from", from).Int("fetch_max_bytes", b.fetchBytes()).
		Int("batch_bytes", b.batchBytes(configuredBatch)).Msg("memory budget")
	if goLimit > b.limit {
		// Kept all the same (the operator's choice), but the garbage
		// collector will let the heap grow past the budget (from a
		// container's limit, the container's).
		log.Warn().Int64("memory_limit", b.limit).Str("from", b.from).Int64("go_memory_limit", goLimit).
			Msg("GOMEMLIMIT is above the memory budget: the heap may grow past the budget")
	}
}
