package sinktest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// bulkOp is one parsed action of a _bulk request.
type bulkOp struct {
	action, index, id string
	doc               []byte
}

// bulkItem is one entry of the answer's items.
type bulkItem struct {
	Index   string     `json:"_index"`
	ID      string     `json:"_id,omitempty"`
	Status  int        `json:"status"`
	Result  string     `json:"result,omitempty"`
	Version int        `json:"_version,omitempty"`
	Error   *itemError `json:"error,omitempty"`
}

type itemError struct {
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	IndexUUID string `json:"index_uuid,omitempty"`
	Index     string `json:"index,omitempty"`
}

func (e *Elastic) bulk(w http.ResponseWriter, r *http.Request) {
	e.arrived()
	lines, ok := e.bulkBody(w, r)
	if !ok || !e.wait(r.Context()) {
		return
	}
	switch {
	case e.faults.take("reject"):
		esError(w, http.StatusTooManyRequests, "es_rejected_execution_exception",
			"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=0]")
		return
	case e.faults.take("unavailable"):
		esError(w, http.StatusServiceUnavailable, "unavailable_shards_exception", "primary shard is not active")
		return
	}
	ops, status, typ, reason := parseBulk(lines)
	if status != 0 {
		esError(w, status, typ, reason)
		return
	}
	// Elasticsearch parses the whole request before executing any of it.
	items := make([]map[string]bulkItem, len(ops))
	errs := false
	who := principal(r)
	for i, op := range ops {
		it := e.execute(op, who)
		errs = errs || it.Error != nil
		items[i] = map[string]bulkItem{op.action: it}
	}
	b, _ := json.Marshal(map[string]any{"took": 1, "errors": errs, "items": items})
	esAnswer(w, http.StatusOK, b)
}

// parseBulk splits NDJSON lines into operations; a non-zero status is a
// whole-request failure.
func parseBulk(lines [][]byte) (ops []bulkOp, status int, typ, reason string) {
	for i := 0; i < len(lines); i++ {
		if len(bytes.TrimSpace(lines[i])) == 0 {
			continue
		}
		var action map[string]map[string]any
		if err := json.Unmarshal(lines[i], &action); err != nil || len(action) != 1 {
			return nil, http.StatusBadRequest, "x_content_parse_exception",
				fmt.Sprintf("[%d:1] Malformed action/metadata line [%d]", i+1, i+1)
		}
		var op bulkOp
		var meta map[string]any
		for op.action, meta = range action {
		}
		switch op.action {
		case "create", "index", "update", "delete":
		default:
			return nil, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf(
				"Malformed action/metadata line [%d], expected one of [create, delete, index, update] but found [%s]", i+1, op.action)
		}
		op.index, _ = meta["_index"].(string)
		op.id, _ = meta["_id"].(string)
		if op.index == "" {
			return nil, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: index is missing;"
		}
		if op.action != "delete" {
			if i+1 >= len(lines) {
				return nil, http.StatusBadRequest, "illegal_argument_exception",
					fmt.Sprintf("The bulk request must be terminated by a newline [\\n] (action at line %d has no source)", i+1)
			}
			i++
			op.doc = lines[i]
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;"
	}
	return ops, 0, "", ""
}

// principal names the caller as Elasticsearch's authorization errors do.
func principal(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if k, ok := strings.CutPrefix(a, "ApiKey "); ok {
		dec, _ := base64.StdEncoding.DecodeString(k)
		id, _, _ := strings.Cut(string(dec), ":")
		return "API key id [" + id + "] of user [sinktest]"
	}
	dec, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "Basic "))
	user, _, _ := strings.Cut(string(dec), ":")
	return "user [" + user + "] with effective roles [pigment_writer]"
}

// refused returns the item error of a create the index's state or the
// credentials' privileges refuse, as Elasticsearch 8 renders it, or nil.
func (e *Elastic) refused(op bulkOp, who string) (int, *itemError) {
	switch {
	case len(e.opts.WriteIndexes) > 0 && !slices.Contains(e.opts.WriteIndexes, op.index):
		return http.StatusForbidden, &itemError{Type: "security_exception", Reason: "action [indices:data/write/bulk[s]] is unauthorized for " +
			who + " on indices [" + op.index + "], this action is granted by the index privileges [create_doc,create,index,write,all]"}
	case slices.Contains(e.opts.ClosedIndexes, op.index):
		return http.StatusBadRequest, &itemError{Type: "index_closed_exception", Reason: "closed",
			IndexUUID: "wJ5VbFOUQ2SmVHsMBo3S9w", Index: op.index}
	case e.opts.NoAutoCreate:
		return http.StatusNotFound, &itemError{Type: "index_not_found_exception",
			Reason: "no such index [" + op.index + "] and [action.auto_create_index] is [false]", IndexUUID: "_na_", Index: op.index}
	}
	return 0, nil
}

// execute applies one operation and returns its item.
func (e *Elastic) execute(op bulkOp, who string) bulkItem {
	it := bulkItem{Index: op.index, ID: op.id}
	fail := func(status int, typ, reason string) bulkItem {
		it.Status, it.Error = status, &itemError{Type: typ, Reason: reason}
		return it
	}
	if status, ie := e.refused(op, who); ie != nil {
		it.Status, it.Error = status, ie
		return it
	}
	dataStream := strings.HasPrefix(op.index, "logs-") || strings.HasPrefix(op.index, "metrics-")
	if dataStream && op.action != "create" {
		return fail(http.StatusBadRequest, "illegal_argument_exception",
			"only write ops with an op_type of create are allowed in data streams")
	}
	if op.id == "" {
		return fail(http.StatusBadRequest, "illegal_argument_exception",
			"sinktest: "+op.action+" without _id: a re-delivery could not be recognised")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.attempts[op.id]++
	if e.itemFault[op.id] > 0 {
		e.itemFault[op.id]--
		return fail(http.StatusTooManyRequests, "es_rejected_execution_exception",
			"rejected execution of primary operation [coordinating_and_primary_bytes=0, max_coordinating_and_primary_bytes=0]")
	}
	dec := json.NewDecoder(bytes.NewReader(op.doc))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		if c, ok := rawControl(op.doc, err); ok {
			return fail(http.StatusBadRequest, "document_parsing_exception", fmt.Sprintf(
				"failed to parse: Illegal unquoted character ((CTRL-CHAR, code %d)): has to be escaped using backslash to be included in string value", c))
		}
		return fail(http.StatusBadRequest, "mapper_parsing_exception", "failed to parse")
	}
	if _, ok := lookup(doc, "@timestamp"); dataStream && !ok {
		return fail(http.StatusBadRequest, "mapper_parsing_exception", "data stream timestamp field [@timestamp] is missing")
	}
	for path, typ := range e.types {
		v, ok := lookup(doc, path)
		if ok && !fits(v, typ) {
			return fail(http.StatusBadRequest, "mapper_parsing_exception", fmt.Sprintf(
				"failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%v'", path, typ, op.id, v))
		}
	}
	key := op.index + "/" + op.id
	if _, dup := e.docs[key]; dup && op.action == "create" {
		return fail(http.StatusConflict, "version_conflict_engine_exception",
			"["+op.id+"]: version conflict, document already exists (current version [1])")
	}
	e.docs[key] = bytes.Clone(op.doc)
	it.Status, it.Result, it.Version = http.StatusCreated, "created", 1
	return it
}

// lookup finds a field by dotted path in nested objects or dotted keys.
func lookup(doc map[string]any, path string) (any, bool) {
	if v, ok := doc[path]; ok {
		return v, true
	}
	for i := strings.IndexByte(path, '.'); i >= 0; {
		if sub, ok := doc[path[:i]].(map[string]any); ok {
			if v, ok := lookup(sub, path[i+1:]); ok {
				return v, true
			}
		}
		j := strings.IndexByte(path[i+1:], '.')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return nil, false
}

// fits reports whether v is acceptable for a field of mapping type typ.
func fits(v any, typ string) bool {
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if !fits(x, typ) {
				return false
			}
		}
		return true
	}
	if v == nil {
		return true
	}
	if n, ok := v.(json.Number); ok && (typ == "date" || typ == "long") {
		_, err := n.Int64() // epoch milliseconds for a date
		return err == nil
	}
	s, isString := v.(string)
	switch typ {
	case "date":
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if _, err := time.Parse(layout, s); isString && err == nil {
				return true
			}
		}
		return false
	case "ip":
		_, err := netip.ParseAddr(s)
		return isString && err == nil
	case "long":
		_, err := strconv.ParseInt(s, 10, 64)
		return isString && err == nil
	}
	return true
}

// rawControl reports the raw control character inside a string that made
// a document unreadable, which Elasticsearch refuses as Jackson does.
func rawControl(doc []byte, err error) (byte, bool) {
	var se *json.SyntaxError
	if !errors.As(err, &se) || !strings.HasSuffix(se.Error(), "in string literal") || se.Offset < 1 || int(se.Offset) > len(doc) {
		return 0, false
	}
	c := doc[se.Offset-1]
	return c, c < 0x20
}
