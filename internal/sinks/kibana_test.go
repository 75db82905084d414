package sinks_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/siem/kibana"
)

// kbnKey is the encoded form of "kbn-id:kbn-secret-value".
var kbnKey = base64.StdEncoding.EncodeToString([]byte("kbn-id:kbn-secret-value"))

// importInto imports ndjson, as file, into the Kibana at url with kbnKey.
func importInto(tb testing.TB, url, file, ndjson string) (sinks.ImportResult, error) {
	tb.Helper()
	k, err := sinks.NewKibana(sinks.KibanaConfig{URL: url, APIKey: kbnKey})
	if err != nil {
		tb.Fatalf("NewKibana: %v", err)
	}
	return k.Import(context.Background(), file, []byte(ndjson))
}

// The shipped saved objects import into a strict Kibana, and importing
// them again replaces them: same objects, nothing added.
func TestKibanaImport(t *testing.T) {
	t.Parallel()
	rcv := sinktest.NewKibana(t, sinktest.KibanaOptions{APIKey: kbnKey, TLS: true})
	k, err := sinks.NewKibana(sinks.KibanaConfig{URL: rcv.URL(), TLS: rcv.TLSConfig(), APIKey: "kbn-id:kbn-secret-value"})
	if err != nil {
		t.Fatal(err)
	}
	objs := kibana.SavedObjects()
	want := bytes.Count(objs, []byte{'\n'})
	for i := range 2 {
		res, err := k.Import(context.Background(), kibana.FileName, objs)
		if err != nil {
			t.Fatalf("Import #%d: %v", i+1, err)
		}
		if res.SuccessCount != want || len(res.Errors) != 0 {
			t.Errorf("Import #%d = %+v, want %d imported and no errors", i+1, res, want)
		}
	}
	if got := len(rcv.Objects()); got != want {
		t.Errorf("Kibana holds %d objects, want %d", got, want)
	}
	if got := rcv.Requests(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
}

const (
	dataView  = `{"type":"index-pattern","id":"dv","attributes":{"title":"logs-*"},"references":[]}`
	lensOnDV  = `{"type":"lens","id":"l1","attributes":{"title":"L"},"references":[{"type":"index-pattern","id":"dv","name":"indexpattern-datasource-layer-layer1"}]}`
	lensOnNil = `{"type":"lens","id":"l2","attributes":{"title":"Orphan"},"references":[{"type":"index-pattern","id":"gone","name":"indexpattern-datasource-layer-layer1"}]}`
	oddType   = `{"type":"spaceship","id":"s1","attributes":{"title":"S"},"references":[]}`
)

// Per-object errors are reported, every one, and make Import fail; the
// other objects are imported. Answers every object would get alike are
// configuration errors.
func TestKibanaImportErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       sinktest.KibanaOptions
		fault      func(*sinktest.Kibana)
		file       string
		ndjson     string
		wantIs     error
		wantErr    []string // substrings of the error
		wantOK     int
		wantFailed int
	}{
		{name: "missing reference and unknown type", ndjson: dataView + "\n" + lensOnNil + "\n" + oddType + "\n",
			wantErr: []string{"1 objects imported, 2 refused", "lens l2: missing_references index-pattern/gone", "spaceship s1: unsupported_type"},
			wantOK:  1, wantFailed: 2},
		{name: "a reference already in Kibana resolves", fault: func(k *sinktest.Kibana) { k.Store("index-pattern", "dv") },
			ndjson: lensOnDV + "\n", wantOK: 1},
		{name: "an object Kibana fails to store", fault: func(k *sinktest.Kibana) { k.FailObject("l1", "unknown") },
			ndjson: dataView + "\n" + lensOnDV + "\n", wantErr: []string{"lens l1: unknown: Internal Server Error"}, wantOK: 1, wantFailed: 1},
		{name: "file name without .ndjson", file: "objects.json", ndjson: dataView + "\n",
			wantErr: []string{"400 Bad Request: Invalid file extension .json"}},
		{name: "wrong API key", opts: sinktest.KibanaOptions{APIKey: "other"}, ndjson: dataView + "\n",
			wantIs: sinks.ErrAuth, wantErr: []string{"401 Unauthorized"}},
		{name: "key without the privilege", opts: sinktest.KibanaOptions{APIKey: kbnKey, Forbidden: true}, ndjson: dataView + "\n",
			wantIs: sinks.ErrAuth, wantErr: []string{"403 Forbidden"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.opts.APIKey == "" {
				tt.opts.APIKey = kbnKey
			}
			rcv := sinktest.NewKibana(t, tt.opts)
			if tt.fault != nil {
				tt.fault(rcv)
			}
			file := tt.file
			if file == "" {
				file = "test.ndjson"
			}
			res, err := importInto(t, rcv.URL(), file, tt.ndjson)
			checkErr(t, err, tt.wantIs, tt.wantErr)
			if res.SuccessCount != tt.wantOK || len(res.Errors) != tt.wantFailed {
				t.Errorf("Import = %+v, want %d imported and %d errors", res, tt.wantOK, tt.wantFailed)
			}
		})
	}
}

// checkErr checks err against wantIs and the substrings want (none: no
// error), and that the API key is in no form in it.
func checkErr(t *testing.T, err, wantIs error, want []string) {
	t.Helper()
	switch {
	case len(want) == 0 && err != nil:
		t.Fatalf("Import error = %v, want none", err)
	case len(want) > 0 && err == nil:
		t.Fatalf("Import error = nil, want %q", want)
	case wantIs != nil && !errors.Is(err, wantIs):
		t.Errorf("Import error = %v, want %v", err, wantIs)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Import error = %v, want it to contain %q", err, w)
		}
	}
	noSecret(t, "kbn-secret-value", nil, err)
	noSecret(t, kbnKey, nil, err)
}

// What is not Kibana's import API is a misconfiguration: a redirect (not
// followed, the key stays here), a 200 sign-in page, a wrong path.
func TestKibanaMisconfigured(t *testing.T) {
	t.Parallel()
	var followed bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed = true }))
	t.Cleanup(elsewhere.Close)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/login?key="+kbnKey, http.StatusFound)
		}, "302 redirect to http://127.0.0.1"},
		{"sign-in page", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>Sign in</html>"))
		}, "200 that is not the import API's answer"},
		{"wrong path", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"statusCode":404,"error":"Not Found","message":"Not Found"}`))
		}, "404 Not Found: Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			_, err := importInto(t, srv.URL, "x.ndjson", dataView+"\n")
			checkErr(t, err, sinks.ErrMisconfigured, []string{tt.want})
		})
	}
	if followed {
		t.Error("the redirect was followed")
	}
}

// The fake checks what Kibana checks before it imports anything.
func TestFakeKibanaRefuses(t *testing.T) {
	t.Parallel()
	rcv := sinktest.NewKibana(t, sinktest.KibanaOptions{APIKey: kbnKey})
	rcv.Store("index-pattern", "dv")
	tests := []struct {
		name, path, query, xsrf, field string
		want                           int
		wantBody                       string
	}{
		{"no kbn-xsrf", "/api/saved_objects/_import", "overwrite=true", "", "file", 400, "kbn-xsrf"},
		{"unknown query key", "/api/saved_objects/_import", "force=true", "true", "file", 400, "query.force"},
		{"part not named file", "/api/saved_objects/_import", "overwrite=true", "true", "upload", 400, "body.file"},
		{"wrong path", "/api/saved_objects/import", "overwrite=true", "true", "file", 404, "Not Found"},
		{"no overwrite: a conflict", "/api/saved_objects/_import", "", "true", "file", 200, `"type":"conflict"`},
		{"in a space", "/s/security/api/saved_objects/_import", "overwrite=true", "true", "file", 200, `"success":true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile(tt.field, "x.ndjson")
			_, _ = fw.Write([]byte(dataView + "\n"))
			_ = mw.Close()
			req, _ := http.NewRequest(http.MethodPost, rcv.URL()+tt.path+"?"+tt.query, &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "ApiKey "+kbnKey)
			if tt.xsrf != "" {
				req.Header.Set("kbn-xsrf", tt.xsrf)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got bytes.Buffer
			_, _ = got.ReadFrom(resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(got.String(), tt.wantBody) {
				t.Errorf("%s = %d %s, want %d with %q", tt.name, resp.StatusCode, got.String(), tt.want, tt.wantBody)
			}
		})
	}
}
