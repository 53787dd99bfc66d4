// Command orders is the esgen example service: an order workflow kept as events, with a
// customer-facing status view and an audit log kept by projections.
//
//	orders demo                  run the scripted scenario on a fresh embedded store and print the views
//	orders serve [--addr :8080]  serve the HTTP API, running the projections
//	orders rebuild [NAME]        rebuild a projection (default order_status) with a progress bar
//	orders status                print each projection's checkpoint, lag and owner
//
// Every subcommand uses the embedded SQLite store in --data-dir (default ./orders-data)
// unless --database-url (or DATABASE_URL) names a PostgreSQL database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/esgen/esgen/examples/orders/app"
	"github.com/esgen/esgen/projection"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: orders <command> [flags]

commands:
  demo      run the scripted order scenario on a fresh store and print the views
  serve     serve the HTTP API and run the projections
  rebuild   rebuild a projection from the log with a progress bar (default order_status)
  status    print each projection's checkpoint, lag, owner and dead letters

Every command uses the embedded SQLite store in --data-dir unless --database-url
(or the DATABASE_URL environment variable) names a PostgreSQL database.
Run "orders <command> -h" for the command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("orders "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbURL := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL; empty for the embedded SQLite store (env DATABASE_URL)")
	dataDir := fs.String("data-dir", app.DefaultDataDir, "directory of the embedded store's file")
	schema := fs.String("schema", "orders", "PostgreSQL schema for every table")
	verbose := fs.Bool("v", false, "log the framework's messages to stderr")
	addr := "127.0.0.1:8080"
	if cmd == "serve" {
		fs.StringVar(&addr, "addr", addr, "address to listen on")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose || cmd == "serve" {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	cfg := app.Config{DatabaseURL: *dbURL, DataDir: *dataDir, Schema: *schema, Logger: logger}

	var err error
	switch cmd {
	case "demo":
		err = demo(ctx, cfg, stdout)
	case "serve":
		err = serve(ctx, cfg, addr, logger)
	case "rebuild":
		name := "order_status"
		if fs.NArg() > 0 {
			name = fs.Arg(0)
		}
		err = rebuild(ctx, cfg, name, stdout, stderr)
	case "status":
		err = status(ctx, cfg, stdout)
	default:
		fmt.Fprintf(stderr, "orders: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "orders %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// demo runs the scenario on an empty store: a fresh temporary directory for the embedded
// store, or a freshly created schema (orders_demo, dropped first) on PostgreSQL.
func demo(ctx context.Context, cfg app.Config, w io.Writer) error {
	cfg.Clock = app.DemoClock()
	where := "the embedded SQLite store (a fresh file in a temporary directory)"
	if cfg.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "orders-demo-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	} else {
		cfg.Schema = "orders_demo"
		if err := app.DropSchema(ctx, cfg.DatabaseURL, cfg.Schema); err != nil {
			return err
		}
		where = "PostgreSQL (schema orders_demo, recreated)"
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(w, "esgen orders demo on %s\n\n", where)
	return app.Demo(ctx, a, w)
}

func serve(ctx context.Context, cfg app.Config, addr string, log *slog.Logger) error {
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(a.Projections)+1)
	var running sync.WaitGroup
	for _, p := range a.Projections {
		running.Go(func() {
			if err := p.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("projection %s: %w", p.Name(), err)
			}
		})
	}
	srv := &http.Server{Handler: app.Handler(a, log), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("serving the orders API", "addr", ln.Addr().String(), "store", a.Backend)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	// Graceful shutdown: finish requests in flight, then stop the projections.
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	// Then stop the projections and wait for them to release their leases before the
	// deferred Close closes the store: another instance can take over at once.
	cancel()
	running.Wait()
	log.Info("stopped")
	return err
}

func rebuild(ctx context.Context, cfg app.Config, name string, stdout, stderr io.Writer) error {
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	var p app.Projection
	for _, q := range a.Projections {
		if q.Name() == name {
			p = q
		}
	}
	if p == nil {
		return fmt.Errorf("no projection %q: want order_status or audit_log", name)
	}
	bar := projection.ProgressBar(stderr, 100*time.Millisecond)
	var last projection.Progress
	v, err := p.Rebuild(ctx, func(pr projection.Progress) {
		last = pr
		bar(pr)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s rebuilt: %d events replayed in %s; version %d is now serving\n", name, last.Done, last.Elapsed.Round(time.Millisecond), v)
	return nil
}

func status(ctx context.Context, cfg app.Config, w io.Writer) error {
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECTION\tVERSION\tCHECKPOINT\tHEAD\tLAG (EVENTS)\tLAG\tOWNER\tDEAD LETTERS")
	for _, p := range a.Projections {
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		owner := st.Owner
		if !st.Leased {
			owner = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%d\n", st.Projection, st.Version, st.Checkpoint, st.Head, st.LagEvents, st.Lag.Round(time.Millisecond), owner, st.DeadLetters)
	}
	return tw.Flush()
}
