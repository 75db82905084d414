package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// tokens is `mcp tokens add|list|revoke`, through DATABASE_URL (the reader
// role cannot write mcp_tokens).
func tokens(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	if len(inv.Args) == 0 {
		return inv.Unknown()
	}
	sub, args := inv.Args[0], inv.Args[1:]
	pool, err := cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := mcpserver.NewTokens(pool)
	switch sub {
	case "add":
		fs := flag.NewFlagSet("tokens add", flag.ContinueOnError)
		fs.SetOutput(inv.Stderr)
		scopes := fs.String("scopes", "", "comma-separated `LIST` of "+strings.Join(mcpserver.Scopes, ", "))
		name, rest := splitName(args)
		if err := fs.Parse(rest); err != nil || name == "" && fs.NArg() != 1 || name != "" && fs.NArg() != 0 || *scopes == "" {
			fmt.Fprint(inv.Stderr, "usage: mcp tokens add NAME --scopes LIST\n")
			return daemon.ErrUsage
		}
		if name == "" {
			name = fs.Arg(0)
		}
		sc, err := mcpserver.ParseScopes(*scopes)
		if err != nil {
			return err
		}
		token, err := store.Add(ctx, name, sc)
		if err != nil {
			return err
		}
		fmt.Fprintf(inv.Stderr, "token %q with scopes %s; it is shown once: keep it now\n", name, strings.Join(sc, ","))
		_, err = fmt.Fprintln(inv.Stdout, token)
		return err
	case "list":
		list, err := store.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tSCOPES\tCREATED\tREVOKED")
		for _, t := range list {
			revoked := "-"
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Name, strings.Join(t.Scopes, ","), t.CreatedAt.UTC().Format(time.RFC3339), revoked)
		}
		return w.Flush()
	case "revoke":
		if len(args) != 1 {
			fmt.Fprint(inv.Stderr, "usage: mcp tokens revoke NAME\n")
			return daemon.ErrUsage
		}
		if err := store.Revoke(ctx, args[0]); err != nil {
			return err
		}
		_, err := fmt.Fprintf(inv.Stdout, "token %q revoked\n", args[0])
		return err
	}
	return inv.Unknown()
}

// splitName takes NAME off the front of args when it comes before the
// flags (`tokens add NAME --scopes S`); "" when the flags come first.
func splitName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
