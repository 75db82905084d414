package mcpserver_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/archivetest"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/mcpserver"
	"github.com/pigment-siem/pipeline/internal/mcpserver/mcptest"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// simNow is the simulators' clock, and the server's: "this month" is
// 2026-11.
var simNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// world is an archive filled with two simulated workspaces' history through
// a Kafka broker over TCP and the real archive sink, the planted anomalies'
// alerts, an inventory snapshot of inventorytest's workspace, and a server
// reading it all through a login role granted pigment_mcp_reader.
type world struct {
	admin     *pgxpool.Pool // the database's owner: the test's independent SQL
	readerURL string
	reader    *pgxpool.Pool // read-only sessions as the reader role
	server    *mcpserver.Server
	tokens    *mcpserver.Tokens // written through admin
	logs      *testkit.SyncBuffer
	alertIDs  []string
}

func mustWorld(t *testing.T) *world {
	t.Helper()
	_, addr := testkit.MustKafka(t)
	events, alerts := testkit.Name("events"), testkit.Name("alerts")
	w := &world{logs: &testkit.SyncBuffer{}}
	var evs, als [][]byte
	for i, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		sim, backlog := archivetest.Backlog(t, pigmentsim.Config{Seed: int64(71 + i), Shape: shape, Anomalies: true,
			History: 90 * 24 * time.Hour, HistoryEvents: 9000, Clock: func() time.Time { return simNow }})
		evs = append(evs, backlog...)
		for _, p := range sim.Planted() {
			id := "alert-" + shape + "-" + p.Kind
			w.alertIDs = append(w.alertIDs, id)
			a, _ := json.Marshal(map[string]any{"id": id, "rule": p.Kind, "severity": "high", "title": "planted " + p.Kind,
				"actor": p.ActorID, "actorEmail": p.ActorEmail, "count": len(p.EventIDs), "evidence": p.EventIDs,
				"window": map[string]string{"start": p.From.Format(time.RFC3339Nano), "end": p.To.Format(time.RFC3339Nano)}})
			als = append(als, a)
		}
	}
	archivetest.Produce(t, addr, events, evs)
	archivetest.Produce(t, addr, alerts, als)
	sink, admin := archivetest.MustArchive(t, "")
	archivetest.Archive(t, sink, testkit.ReadAll(t, addr, events), event.KindEvent)
	archivetest.Archive(t, sink, testkit.ReadAll(t, addr, alerts), event.KindAlert)
	w.admin = admin
	mustSnapshot(t, admin)
	w.readerURL = mcptest.MustReaderRole(t, admin.Config().ConnString())
	w.reader = mustReaderPool(t, w.readerURL, nil)
	w.tokens = mcpserver.NewTokens(admin)
	w.server = mcpserver.New(mcpserver.Config{DB: w.reader, Limits: mcpserver.DefaultLimits(), Version: "test",
		Logger: zerolog.New(w.logs), Now: func() time.Time { return simNow }})
	return w
}

// mustSnapshot takes one inventory snapshot of inventorytest's workspace
// into the archive's database, as the inventory program does.
func mustSnapshot(t *testing.T, db *pgxpool.Pool) {
	t.Helper()
	pub, _ := inventorytest.MustPublisher(t)
	policy, err := inventory.LoadPolicy(inventory.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	r := inventory.New(inventory.Config{Policy: policy, AlertsTopic: testkit.Name("inventory-alerts"), MaxMessageBytes: 1 << 20,
		Interval: 24 * time.Hour, Retention: 30 * 24 * time.Hour, Logger: zerolog.Nop(), Now: func() time.Time { return simNow }},
		inventorytest.New(), inventory.NewStore(db), pub, prometheus.NewRegistry())
	if _, err := r.Once(t.Context()); err != nil {
		t.Fatalf("inventory snapshot: %v", err)
	}
}

// mustReaderPool connects as cmd/mcp does: read-only sessions, with the
// session settings params besides.
func mustReaderPool(t *testing.T, readerURL string, params map[string]string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(readerURL)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range params {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// stdioClient is a client of the same SDK connected to w's server over the
// SDK's in-memory transport (stdio's framing, without a process).
func (w *world) stdioClient(t *testing.T) *mcp.ClientSession {
	t.Helper()
	return stdioClientOf(t, w.server)
}

// stdioClientOf is stdioClient for the server srv.
func stdioClientOf(t *testing.T, srv *mcpserver.Server) *mcp.ClientSession {
	t.Helper()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// httpServer serves w's server over streamable HTTP on a real socket.
func (w *world) httpServer(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(w.server.Handler(w.tokens))
	t.Cleanup(ts.Close)
	return ts
}

// httpClient connects to ts with token ("" for none).
func httpClient(t *testing.T, ts *httptest.Server, token string) (*mcp.ClientSession, error) {
	t.Helper()
	return mcptest.Connect(t, ts.URL, token)
}

// tokenClient adds the token name with scopes and connects to ts with it.
func (w *world) tokenClient(t *testing.T, ts *httptest.Server, name string, scopes ...string) (string, *mcp.ClientSession) {
	t.Helper()
	token, err := w.tokens.Add(t.Context(), name, scopes)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := httpClient(t, ts, token)
	if err != nil {
		t.Fatalf("connect with token %s: %v", name, err)
	}
	return token, cs
}

// call calls tool with args and decodes its structured answer into out
// (when the call did not fail); it returns the result for IsError.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("call %s(%v): %v", tool, args, err)
	}
	if !res.IsError && out != nil {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s answered %s: %v", tool, b, err)
		}
	}
	return res
}

// text is the text of a result.
func text(res *mcp.CallToolResult) string {
	var b bytes.Buffer
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// toolCall is a call of tool without arguments.
func toolCall(tool string) *mcp.CallToolParams {
	return &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}}
}
