package pigment

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

const testMetadataKey = "sk-meta-SECRET-9876543210"

// mustMetadataClient returns a metadata client of srv with the test
// client's settings (mustClient), the metadata key and three attempts.
func mustMetadataClient(tb testing.TB, srv *httptest.Server, mutate func(*Config)) (*MetadataClient, *recorder) {
	tb.Helper()
	c, rec := mustClient(tb, srv, func(cfg *Config) {
		cfg.APIKey, cfg.MaxAttempts = testMetadataKey, 3
		if mutate != nil {
			mutate(cfg)
		}
	})
	c.key = metadataKey // as NewMetadata does
	return &MetadataClient{c: c}, rec
}

func TestMetadataClientHostileAnswers(t *testing.T) {
	const appsBody = `{"applications":[{"id":"a1","name":"Revenue"}]}`
	tests := []struct {
		name     string
		answer   http.HandlerFunc
		call     func(context.Context, *MetadataClient) error
		want     []string // fragments of the error
		attempts int32
	}{
		{"proxy HTML page with 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<!DOCTYPE html><html><body>Sign in to continue</body></html>"))
		}, apps, []string{"list applications: giving up after 3 attempts", "HTML, not JSON"}, 3},
		{"truncated JSON", truncated(`{"applications":[{"id":"a1","name":"Revenue"},{"id":"a2","name":"Cost"}]}`),
			apps, []string{"giving up after 3 attempts", "read applications answer"}, 3},
		{"cut but well framed", okPage(`{"applications":[{"id":"a1","name":"Reven`), apps,
			[]string{"malformed metadata answer: invalid JSON: unexpected end of body", "(truncated?)"}, 3},
		{"list is an object", okPage(`{"applications":{"id":"a1"}}`), apps, []string{"applications is object, want an array"}, 3},
		{"wrong wrapper", okPage(`{"blocks":[]}`), apps, []string{"applications is absent, want an array"}, 3},
		{"top level string", okPage(`"ok"`), apps, []string{"top level is string"}, 3},
		{"empty body", okPage(``), apps, []string{"empty body"}, 3},
		{"id of the wrong type", okPage(`[{"id":12,"name":"x"}]`), apps, []string{"element 1 of applications: id is a number, want a string"}, 3},
		{"missing name", okPage(`[{"id":"a"},{"id":"b"}]`), apps, []string{"element 1 of applications: name is missing"}, 3},
		{"element not an object", okPage(`{"applications":[{"id":"a","name":"n"},null]}`), apps, []string{"element 2 of applications: null, want an object"}, 3},
		{"dimensions of the wrong type", okPage(`{"blocks":[{"id":"b","name":"M","type":"Metric","dimensions":"Month"}]}`),
			blocks, []string{`list blocks of application "a1"`, "dimensions is string, want an array of strings"}, 3},
		{"a dimension of the wrong type", okPage(`[{"id":"b","name":"M","type":"Metric","dimensions":["Month",3]}]`),
			blocks, []string{"dimensions[1] is a number, want a string"}, 3},
		{"401", answer(http.StatusUnauthorized, `{"error":"invalid token `+testMetadataKey+`"}`), apps,
			[]string{"401 Unauthorized: check PIGMENT_METADATA_API_KEY (invalid or expired)", "[REDACTED]"}, 1},
		{"403", answer(http.StatusForbidden, `{"message":"forbidden"}`), views,
			[]string{"list views of block", "403 Forbidden: check PIGMENT_METADATA_API_KEY (the key has no access to the Metadata API)"}, 1},
		{"404", answer(http.StatusNotFound, `{"error":"application not found"}`), blocks, []string{"404 Not Found: application not found"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := script(t, tt.answer)
			c, _ := mustMetadataClient(t, srv, nil)
			err := tt.call(t.Context(), c)
			if err == nil {
				t.Fatalf("call = nil error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testMetadataKey) {
				t.Errorf("error %q contains the key", err)
			}
			if got := n.Load(); got != tt.attempts {
				t.Errorf("%d requests, want %d", got, tt.attempts)
			}
		})
	}
}

func apps(ctx context.Context, c *MetadataClient) error {
	_, err := c.Applications(ctx)
	return err
}

func blocks(ctx context.Context, c *MetadataClient) error {
	_, err := c.Blocks(ctx, "a1")
	return err
}

func views(ctx context.Context, c *MetadataClient) error {
	_, err := c.Views(ctx, "a1", "b1")
	return err
}

func TestMetadataClientRequests(t *testing.T) {
	var got []string
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		okPage(`[]`)(w, r)
	})
	c, _ := mustMetadataClient(t, srv, func(cfg *Config) { cfg.BaseURL = srv.URL + "/proxy/" })
	ctx := t.Context()
	a, err1 := c.Applications(ctx)
	_, err2 := c.Blocks(ctx, "app &id=1/2")
	_, err3 := c.ImportConfigurations(ctx, "a+b", "blk?#")
	_, err4 := c.Views(ctx, "a", "é")
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	bearer := " Bearer " + testMetadataKey
	want := []string{
		"/proxy/api/v1/applications" + bearer,
		"/proxy/api/v1/blocks?applicationId=app+%26id%3D1%2F2" + bearer,
		"/proxy/api/v1/importConfigurations?applicationId=a%2Bb&blockId=blk%3F%23" + bearer,
		"/proxy/api/v1/views?applicationId=a&blockId=%C3%A9" + bearer,
	}
	if !slices.Equal(got, want) || a == nil || len(a) != 0 {
		t.Errorf("requests:\n%s\nwant:\n%s\n(applications %#v, want an empty list)", strings.Join(got, "\n"), strings.Join(want, "\n"), a)
	}
	if _, err := c.Blocks(ctx, ""); err == nil || len(got) != 4 {
		t.Errorf("Blocks(\"\") = %v after %d requests, want an error and no request", err, len(got))
	}
	if _, err := NewMetadata(MetadataConfig{BaseURL: srv.URL}); err == nil || !strings.Contains(err.Error(), "APIKey is empty") {
		t.Errorf("NewMetadata without a key = %v, want an error naming APIKey", err)
	}
}
