package sinktest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"
	"sync"
	"testing"
)

// KibanaOptions configures a strict Kibana.
type KibanaOptions struct {
	// APIKey is the accepted encoded API key ("Authorization: ApiKey <APIKey>").
	APIKey string
	// Forbidden makes the key authenticate without the privilege to write
	// saved objects: imports are answered 403, as Kibana does.
	Forbidden bool
	// TLS serves HTTPS with a self-signed certificate (see TLSConfig).
	TLS bool
}

// kibanaTypes are the saved-object types Kibana 8.x imports (with Lens,
// Discover, Dashboard, Maps and Canvas installed); others are answered
// unsupported_type.
var kibanaTypes = map[string]bool{
	"index-pattern": true, "visualization": true, "lens": true, "dashboard": true, "search": true,
	"map": true, "tag": true, "config": true, "query": true, "canvas-workpad": true, "url": true,
	"event-annotation-group": true, "links": true,
}

// kibanaVersion is the fake's version: an object migrated by a later
// Kibana is refused, as a real one refuses it.
const kibanaVersion = "8.15.0"

// Kibana is a strict Kibana saved objects import API
// (POST [/s/<space>]/api/saved_objects/_import). It checks the API key
// (401, or 403 with Forbidden), the kbn-xsrf header (400 without it), the
// query (overwrite and createNewCopies, nothing else, not both), a
// multipart/form-data body whose part "file" has a name ending .ndjson
// (400 otherwise) and holds one JSON object per line; then, per object,
// that its type is known (unsupported_type), that it was not migrated by
// a later Kibana, that every reference names an object of the file or one
// already stored (missing_references), and without overwrite that it does
// not exist yet (conflict). It answers like Kibana: 200 with success,
// successCount, successResults and errors; refused objects are not stored.
// Other paths and methods are 404, as Kibana's router answers.
type Kibana struct {
	*server
	opts KibanaOptions

	mu      sync.Mutex
	objects map[string]json.RawMessage // "<type>/<id>" -> the object as imported
	failing map[string]string          // id -> error type to answer for it
}

// NewKibana starts a strict Kibana, closed by t.Cleanup.
func NewKibana(tb testing.TB, o KibanaOptions) *Kibana {
	tb.Helper()
	k := &Kibana{opts: o, objects: map[string]json.RawMessage{}, failing: map[string]string{}}
	k.server = newServer(tb, http.HandlerFunc(k.serve), o.TLS)
	return k
}

// Objects returns the stored objects by "<type>/<id>".
func (k *Kibana) Objects() map[string]json.RawMessage {
	return locked(&k.mu, func() map[string]json.RawMessage { return maps.Clone(k.objects) })
}

// Store adds an object as if imported before ("<type>/<id>").
func (k *Kibana) Store(typ, id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.objects[typ+"/"+id] = json.RawMessage(`{}`)
}

// FailObject answers every import of the object id with an error of
// errType ("unknown" is what Kibana answers when storing it failed).
func (k *Kibana) FailObject(id, errType string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failing[id] = errType
}

func kbnAnswer(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// kbnError answers an error the way Kibana (hapi) renders it.
func kbnError(w http.ResponseWriter, status int, message string) {
	kbnAnswer(w, status, map[string]any{"statusCode": status, "error": http.StatusText(status), "message": message})
}

func (k *Kibana) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/s/"); ok && strings.Contains(rest, "/") {
		p = rest[strings.IndexByte(rest, '/'):]
	}
	if p != "/api/saved_objects/_import" || r.Method != http.MethodPost {
		kbnError(w, http.StatusNotFound, "Not Found")
		return
	}
	k.arrived()
	switch a := r.Header.Get("Authorization"); {
	case !strings.HasPrefix(a, "ApiKey ") || k.opts.APIKey == "" || strings.TrimPrefix(a, "ApiKey ") != k.opts.APIKey:
		kbnError(w, http.StatusUnauthorized, "[security_exception\n\tRoot causes:\n\t\tsecurity_exception: unable to authenticate with provided credentials]: unable to authenticate with provided credentials")
		return
	case k.opts.Forbidden:
		kbnError(w, http.StatusForbidden, "Unable to bulk_create index-pattern,lens,search,dashboard")
		return
	case r.Header.Get("kbn-xsrf") == "":
		kbnError(w, http.StatusBadRequest, "Request must contain a kbn-xsrf header.")
		return
	}
	overwrite, ok := k.query(w, r)
	if !ok {
		return
	}
	data, ok := k.file(w, r)
	if !ok {
		return
	}
	objs, ok := parseObjects(w, data)
	if !ok {
		return
	}
	kbnAnswer(w, http.StatusOK, k.store(objs, overwrite))
}

// query checks the import's query string and returns overwrite.
func (k *Kibana) query(w http.ResponseWriter, r *http.Request) (overwrite, ok bool) {
	q := r.URL.Query()
	for key := range q {
		if key != "overwrite" && key != "createNewCopies" && key != "compatibilityMode" {
			kbnError(w, http.StatusBadRequest, "[request query."+key+"]: definition for this key is missing")
			return false, false
		}
	}
	overwrite = q.Get("overwrite") == "true"
	if overwrite && q.Get("createNewCopies") == "true" {
		kbnError(w, http.StatusBadRequest, "[request query]: cannot use [overwrite] with [createNewCopies]")
		return false, false
	}
	return overwrite, true
}

// file returns the content of the multipart part "file".
func (k *Kibana) file(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		kbnError(w, http.StatusUnsupportedMediaType, "Unsupported Media Type")
		return nil, false
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			kbnError(w, http.StatusBadRequest, "[request body.file]: expected value of type [Stream] but got [undefined]")
			return nil, false
		}
		if part.FormName() != "file" {
			continue
		}
		if ext := path.Ext(part.FileName()); ext != ".ndjson" {
			kbnError(w, http.StatusBadRequest, "Invalid file extension "+ext)
			return nil, false
		}
		data, err := io.ReadAll(part)
		if err != nil {
			kbnError(w, http.StatusBadRequest, err.Error())
			return nil, false
		}
		return data, true
	}
}

// importObject is what the fake reads of each imported object.
type importObject struct {
	Type                 string `json:"type"`
	ID                   string `json:"id"`
	TypeMigrationVersion string `json:"typeMigrationVersion"`
	Attributes           struct {
		Title string `json:"title"`
	} `json:"attributes"`
	References []struct {
		Type, ID, Name string
	} `json:"references"`
	raw json.RawMessage
}

// parseObjects reads the ndjson: blank lines are skipped, anything else
// must be a JSON object.
func parseObjects(w http.ResponseWriter, data []byte) ([]importObject, bool) {
	var objs []importObject
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var o importObject
		if err := json.Unmarshal(line, &o); err != nil || line[0] != '{' {
			kbnError(w, http.StatusBadRequest, "Unexpected token in JSON: "+excerptOf(line))
			return nil, false
		}
		o.raw = bytes.Clone(line)
		objs = append(objs, o)
	}
	return objs, true
}

func excerptOf(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// store imports objs and returns the API's answer body.
func (k *Kibana) store(objs []importObject, overwrite bool) map[string]any {
	k.mu.Lock()
	defer k.mu.Unlock()
	inFile := map[string]bool{}
	for _, o := range objs {
		inFile[o.Type+"/"+o.ID] = true
	}
	var results, errs []any
	for _, o := range objs {
		key := o.Type + "/" + o.ID
		if e := k.check(o, inFile, overwrite); e != nil {
			errs = append(errs, map[string]any{"type": o.Type, "id": o.ID, "title": o.Attributes.Title,
				"meta": map[string]any{"title": o.Attributes.Title}, "error": e})
			continue
		}
		_, existed := k.objects[key]
		k.objects[key] = o.raw
		r := map[string]any{"type": o.Type, "id": o.ID, "meta": map[string]any{"title": o.Attributes.Title}}
		if existed {
			r["overwrite"] = true
		}
		results = append(results, r)
	}
	ans := map[string]any{"success": len(errs) == 0, "successCount": len(results), "successResults": results}
	if results == nil {
		ans["successResults"] = []any{}
	}
	if len(errs) > 0 {
		ans["errors"] = errs
	}
	return ans
}

// check returns the import error of one object, or nil.
func (k *Kibana) check(o importObject, inFile map[string]bool, overwrite bool) map[string]any {
	if !kibanaTypes[o.Type] || o.ID == "" {
		return map[string]any{"type": "unsupported_type"}
	}
	if versionAfter(o.TypeMigrationVersion, kibanaVersion) {
		return map[string]any{"type": "unknown", "statusCode": 400,
			"message": "Document \"" + o.ID + "\" has property \"" + o.Type + "\" which belongs to a more recent version of Kibana [" + o.TypeMigrationVersion + "]."}
	}
	var missing []any
	for _, r := range o.References {
		if !inFile[r.Type+"/"+r.ID] && k.objects[r.Type+"/"+r.ID] == nil {
			missing = append(missing, map[string]any{"type": r.Type, "id": r.ID})
		}
	}
	if missing != nil {
		return map[string]any{"type": "missing_references", "references": missing}
	}
	if t := k.failing[o.ID]; t != "" {
		return map[string]any{"type": t, "message": "Internal Server Error", "statusCode": 500}
	}
	if _, ok := k.objects[o.Type+"/"+o.ID]; ok && !overwrite {
		return map[string]any{"type": "conflict"}
	}
	return nil
}

// versionAfter compares dotted versions numerically ("8.10.0" > "8.9.0").
func versionAfter(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		x, y := part(as, i), part(bs, i)
		if x != y {
			return x > y
		}
	}
	return false
}

func part(s []string, i int) int {
	n := 0
	if i < len(s) {
		for _, c := range s[i] {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
	}
	return n
}
