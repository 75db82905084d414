package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// shutdownTimeout bounds how long serve --http waits for calls in flight
// after SIGTERM.
const shutdownTimeout = 10 * time.Second

// serve is `mcp serve [--http ADDR]`.
func serve(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(inv.Stderr)
	addr := fs.String("http", "", "serve streamable HTTP at `ADDR` (host:port) instead of stdio")
	if err := fs.Parse(inv.Args); err != nil || fs.NArg() > 0 {
		return daemon.ErrUsage
	}
	pool, err := cfg.openReader(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	srv := mcpserver.New(mcpserver.Config{DB: pool, Limits: cfg.limits(), ReportsDir: cfg.ReportsDir, Version: version, Logger: inv.Log})
	if *addr == "" {
		// stdout is the protocol's: logs go to stderr.
		inv.Log.Info().Msg("serving MCP over stdio")
		err := srv.MCP().Run(ctx, &mcp.StdioTransport{})
		if ctx.Err() != nil {
			return nil // SIGTERM, or the client closed stdin
		}
		return err
	}
	return serveHTTP(ctx, cfg, inv, srv, mcpserver.NewTokens(pool), *addr)
}

// serveHTTP serves srv at addr/mcp behind tokens, over TLS when
// MCP_TLS_CERT_FILE and MCP_TLS_KEY_FILE are set, until ctx ends.
func serveHTTP(ctx context.Context, cfg *Config, inv *daemon.Invocation, srv *mcpserver.Server, tokens *mcpserver.Tokens, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", srv.Handler(tokens))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	inv.Log.Info().Str("url", fmt.Sprintf("%s://%s/mcp", scheme, ln.Addr())).Msg("serving MCP over streamable HTTP; bearer tokens required")
	return daemon.Run(ctx, func(wctx context.Context) error {
		errc := make(chan error, 1)
		go func() { // owned: its result is waited for below
			if cfg.TLSCert != "" {
				errc <- hs.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
				return
			}
			errc <- hs.Serve(ln)
		}()
		select {
		case err := <-errc:
			return fmt.Errorf("serve MCP: %w", err)
		case <-wctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err := hs.Shutdown(sctx)
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return err
	})
}
