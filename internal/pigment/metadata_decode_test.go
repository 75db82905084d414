package pigment

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/pigment-siem/pipeline/internal/jsonscan/jsontest"
)

func TestDecodeBlocksShapes(t *testing.T) {
	metric := Block{ID: "b1", Name: "Revenue_Actuals", Type: "Metric", Dimensions: []string{"Month", "Product"}, HasDimensions: true}
	plain := Block{ID: "b1", Name: "Revenue_Actuals", Type: "Metric"}
	tests := []struct {
		name, body string
		want       []Block
	}{
		{"described", `{"blocks":[{"id":"b1","name":"Revenue_Actuals","type":"Metric","dimensions":["Month","Product"]}]}`, []Block{metric}},
		{"public", `[{"id":"b1","name":"Revenue_Actuals","type":"Metric"}]`, []Block{plain}},
		{"unknown fields ignored", ` [ {"id":"b1","owner":{"x":[1,{"y":null}]},"name":"Revenue_Actuals","type":"Metric","extra":true} ] `, []Block{plain}},
		{"other members of the wrapper ignored", `{"total":1,"blocks":[{"id":"b1","name":"Revenue_Actuals","type":"Metric"}],"next":null}`, []Block{plain}},
		{"null dimensions: not available", `[{"id":"b1","name":"Revenue_Actuals","type":"Metric","dimensions":null}]`, []Block{plain}},
		{"no dimensions is zero, not unknown", `[{"id":"b","name":"Month","type":"DimensionList","dimensions":[]}]`,
			[]Block{{ID: "b", Name: "Month", Type: "DimensionList", Dimensions: []string{}, HasDimensions: true}}},
		{"escapes", `[{"id":"b\u0031","name":"Revenue\u005fActuals","type":"Metric"}]`, []Block{plain}},
		{"empty list", `{"blocks":[]}`, []Block{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeList([]byte(tt.body), blockSpec)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodeList(%s) = %#v, %v; want %#v", tt.body, got, err, tt.want)
			}
		})
	}
}

func TestDecodeApplicationsAndViews(t *testing.T) {
	apps, err := decodeList([]byte(`{"applications":[{"id":"a","name":"Revenue Planning","createdAt":"2023-06-01T00:00:00Z","modifiedAt":null}]}`), applicationSpec)
	want := []Application{{ID: "a", Name: "Revenue Planning", CreatedAt: "2023-06-01T00:00:00Z"}}
	if err != nil || !reflect.DeepEqual(apps, want) {
		t.Errorf("applications = %#v, %v; want %#v", apps, err, want)
	}
	views, err := decodeList([]byte(`[{"id":"v","name":"By region","type":"Personal"},{"id":"w","name":"Default"}]`), viewSpec)
	wantViews := []View{{ID: "v", Name: "By region", Type: "Personal"}, {ID: "w", Name: "Default"}}
	if err != nil || !reflect.DeepEqual(views, wantViews) {
		t.Errorf("views = %#v, %v; want %#v", views, err, wantViews)
	}
	if _, err := decodeList([]byte(`[{"id":"","name":"x"}]`), importSpec); err == nil {
		t.Error("an empty id = nil error, want an error")
	}
}

func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`{"blocks":[{"id":"b1","name":"M","type":"Metric","dimensions":["Month"]}]}`))
	f.Add([]byte(`[{"id":"b1","name":"M","type":"Metric","dimensions":null,"x":{}}]`))
	f.Add([]byte(`{"blocks":[{"id":"b1"`))
	f.Add([]byte(`<html></html>`))
	f.Add([]byte("[{\"id\":\"a\tb\",\"name\":\"n\",\"type\":\"T\"}]"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeList(body, blockSpec)
		if err != nil {
			if !errors.Is(err, errMalformedMetadata) {
				t.Fatalf("decodeList error %v does not wrap errMalformedMetadata", err)
			}
			return
		}
		// Reference: encoding/json on the strict form, either shape.
		var ref []struct{ ID, Name, Type string }
		if err := json.Unmarshal(jsontest.Strict(body), &ref); err != nil {
			var wrapped struct {
				Blocks []struct{ ID, Name, Type string } `json:"blocks"`
			}
			if err := json.Unmarshal(jsontest.Strict(body), &wrapped); err != nil {
				t.Fatalf("decodeList accepted %q, which encoding/json rejects: %v", body, err)
			}
			ref = wrapped.Blocks
		}
		if len(ref) != len(got) {
			t.Fatalf("decodeList(%q) = %d blocks, encoding/json %d", body, len(got), len(ref))
		}
		for i := range got {
			if got[i].ID == "" {
				t.Fatalf("block %d has an empty id", i)
			}
		}
	})
}

func BenchmarkDecodeBlocks(b *testing.B) {
	body := []byte(`{"blocks":[`)
	for i := range 300 {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"id":"7f1c0a52-3a4e-5d7b-9a61-0c2f3e4d5b6a","name":"Revenue_Forecast","type":"Metric","dimensions":["Month","Product","Region","Version"]}`...)
	}
	body = append(body, "]}"...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if got, err := decodeList(body, blockSpec); err != nil || len(got) != 300 {
			b.Fatalf("decodeList: %d blocks, %v", len(got), err)
		}
	}
}
