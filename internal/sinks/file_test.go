package sinks_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks"
)

func mustFile(tb testing.TB, path string) *sinks.File {
	tb.Helper()
	f, err := sinks.NewFile(path)
	return closedAtEnd(tb, "NewFile", f, err)
}

func fileContents(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestFileAppendsOneLinePerRecord(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.log")
	f := mustFile(t, path)
	res, err := f.Send(context.Background(), [][]byte{[]byte(`{"a":1}`), []byte(`{"b":"Zoë 日本"}`)}, []string{"a", "b"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantAll(t, res, 2, sinks.Delivered)
	res, _ = f.Send(context.Background(), [][]byte{line5424("m", "-", "x")}, []string{"c"})
	wantAll(t, res, 1, sinks.Delivered)
	f.Close()

	f = mustFile(t, path) // reopening appends
	res, _ = f.Send(context.Background(), [][]byte{[]byte(`{"c":3}`)}, []string{"d"})
	wantAll(t, res, 1, sinks.Delivered)
	want := `{"a":1}` + "\n" + `{"b":"Zoë 日本"}` + "\n" + string(line5424("m", "-", "x")) + "\n" + `{"c":3}` + "\n"
	if got := fileContents(t, path); got != want {
		t.Errorf("file = %q, want %q", got, want)
	}
}

func TestFileRejectsRecordsWithNewlines(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.log")
	f := mustFile(t, path)
	res, err := f.Send(context.Background(), [][]byte{[]byte("one"), []byte("two\nlines"), []byte("cr\r"), []byte("three")}, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := outcomes(res); got != "DXXD" {
		t.Fatalf("outcomes = %s, want DXXD", got)
	}
	if !strings.Contains(res[1].Reason, "newline") {
		t.Errorf("reason = %q, want it to name the newline", res[1].Reason)
	}
	if got := fileContents(t, path); got != "one\nthree\n" {
		t.Errorf("file = %q, want %q", got, "one\nthree\n")
	}
}

func TestFileTerminatesATornLastLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.log")
	if err := os.WriteFile(path, []byte("whole\ntorn"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := mustFile(t, path)
	res, _ := f.Send(context.Background(), [][]byte{[]byte("next")}, nil)
	wantAll(t, res, 1, sinks.Delivered)
	if got := fileContents(t, path); got != "whole\ntorn\nnext\n" {
		t.Errorf("file = %q, want %q", got, "whole\ntorn\nnext\n")
	}
}

func TestFileWriteFailureIsRetry(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	f := mustFile(t, "/dev/full") // every write fails with ENOSPC
	res, err := f.Send(context.Background(), [][]byte{[]byte("a"), []byte("b")}, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantAll(t, res, 2, sinks.Retry)
	if !strings.Contains(res[0].Reason, "no space") {
		t.Errorf("reason = %q, want ENOSPC", res[0].Reason)
	}
}

func TestFileSendAfterContextEndOrClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.log")
	f := mustFile(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := f.Send(ctx, [][]byte{[]byte("a")}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send with ended context = %v, want context.Canceled", err)
	}
	wantAll(t, res, 1, sinks.Retry)

	f.Close()
	if _, err := f.Send(context.Background(), [][]byte{[]byte("a")}, nil); err == nil {
		t.Error("Send after Close = nil error, want one")
	}
	if got := fileContents(t, path); got != "" {
		t.Errorf("file = %q, want it empty", got)
	}
}
