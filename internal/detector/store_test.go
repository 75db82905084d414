package detector

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
)

func TestSaveLoadAndOutbox(t *testing.T) {
	ctx := context.Background()
	url := testkit.MustPostgres(t)
	if err := migrations.Apply(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := NewStore(pool)

	if _, ok, err := s.Load(ctx, "detect"); ok || err != nil {
		t.Fatalf("Load of nothing = ok %v, %v", ok, err)
	}
	wm := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	snap := Snapshot{State: []byte("state-1"), Offsets: map[int]int64{0: 10, 2: 7}, Complete: map[int]time.Time{2: wm}, Watermark: wm, Newest: wm.Add(time.Hour)}
	if err := s.Save(ctx, "detect", snap, []Queued{{ID: "a1", Payload: []byte(`{"id":"a1"}`)}, {ID: "a2", Payload: []byte(`{"id":"a2"}`)}}); err != nil {
		t.Fatal(err)
	}
	// Saving again with an alert already queued keeps one copy.
	snap.State, snap.Offsets[0] = []byte("state-2"), 12
	if err := s.Save(ctx, "detect", snap, []Queued{{ID: "a2", Payload: []byte(`{"id":"a2"}`)}}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, "detect")
	if err != nil || !ok || string(got.State) != "state-2" || got.Offsets[0] != 12 || got.Offsets[2] != 7 || !got.Watermark.Equal(wm) || !got.Complete[2].Equal(wm) || !got.Newest.Equal(wm.Add(time.Hour)) {
		t.Fatalf("Load = %+v, %v, %v", got, ok, err)
	}
	pending, err := s.Pending(ctx, "detect")
	if err != nil || len(pending) != 2 {
		t.Fatalf("Pending = %v, %v; want a1 and a2 once each", pending, err)
	}
	if err := s.Sent(ctx, "detect", []string{"a1"}); err != nil {
		t.Fatal(err)
	}
	if pending, _ := s.Pending(ctx, "detect"); len(pending) != 1 || pending[0].ID != "a2" {
		t.Fatalf("after Sent(a1), Pending = %v; want only a2", pending)
	}
}
