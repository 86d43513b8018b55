package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/web"
	"github.com/drover-sched/drover/worker"
)

func defaultID() string {
	host, err := os.Hostname()
	if err != nil || store.ValidateNodeName(host) != nil {
		host = "drover"
	}
	return host
}

// listenHTTP checks and takes --http's address before anything connects: a
// typo is bad input (exit 2), a port in use a failure to start. Nil when
// addr is empty.
func listenHTTP(httpAddr string) (net.Listener, error) {
	if httpAddr == "" {
		return nil, nil
	}
	addr := web.ListenAddr(httpAddr)
	host, port, err := net.SplitHostPort(addr)
	if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil || strings.ContainsAny(host, " \t") {
		return nil, usageErr("--http %q: want [HOST]:PORT, as :8080 or 0.0.0.0:8080", httpAddr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, exitCode(1, fmt.Sprintf("--http %s: %v", httpAddr, err))
	}
	return ln, nil
}

// advertisedURL is the URL ln is reached at from other hosts, for drover
// leader: a wildcard address (0.0.0.0:8080, [::]:8080) is this host's
// name; "" for no ln.
func advertisedURL(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port)) + "/"
}

// serveFront serves ln (nil: nothing) from now, while the daemon connects
// and once it runs (Front.Set), until stop, which returns why serving ended
// (nil once stopped) and may be called again.
func serveFront(ctx context.Context, ln net.Listener) (front *web.Front, stop func() error) {
	if ln == nil {
		return nil, func() error { return nil }
	}
	front = web.NewFront(version)
	hctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- front.Serve(hctx, ln) }()
	var once sync.Once
	var err error
	return front, func() error {
		once.Do(func() { cancel(); err = <-errc })
		return err
	}
}

func newSchedulerCmd(g *globals) *cobra.Command {
	var id string
	var timeoutGrace, retention time.Duration
	var maxResults, maxDeadletters int
	var httpAddr string
	cmd := &cobra.Command{
		Use:   "scheduler [--id ID]",
		Short: "Run a scheduler: it leads or stands by; SIGTERM resigns at once",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" && givenOnCommandLine(cmd, "id") {
				// --id "$SCHED_ID" with the variable unset.
				return usageErr("--id \"\": empty (leave the flag out for the default, host-pid)")
			}
			if id == "" {
				id = fmt.Sprintf("%s-%d", defaultID(), os.Getpid())
			}
			if err := store.ValidateName(id); err != nil {
				return usageErr("--id: %v", err)
			}
			if timeoutGrace <= 0 {
				return usageErr("--timeout-grace %v: must be positive", timeoutGrace)
			}
			if retention <= 0 {
				return usageErr("--result-retention %v: must be positive", retention)
			}
			if maxResults < -1 || maxResults == 0 {
				return usageErr("--max-results %d: want a positive number, or -1 for no cap", maxResults)
			}
			if maxDeadletters < 1 || maxDeadletters > store.MaxDeadletters {
				return usageErr("--max-deadletters %d: want 1 to %d", maxDeadletters, store.MaxDeadletters)
			}
			ln, err := listenHTTP(httpAddr)
			if err != nil {
				return err
			}
			if ln != nil {
				defer ln.Close()
			}
			log := g.logger("scheduler")
			ctx, stop := signalContext()
			defer stop()
			front, stopHTTP := serveFront(ctx, ln)
			defer stopHTTP()
			st, err := g.open(ctx, &log)
			if err != nil {
				if ctx.Err() != nil {
					log.Info().Msg("stopped while connecting to ZooKeeper")
					return nil // stopped as asked, as once running
				}
				return err
			}
			defer st.Close()
			s, err := scheduler.New(scheduler.Config{ID: id, Version: version, HTTP: advertisedURL(ln), Store: st, Log: log, TimeoutGrace: timeoutGrace,
				ResultRetention: retention, MaxResults: maxResults, MaxDeadletters: maxDeadletters})
			if err != nil {
				return usageErr("%v", err)
			}
			log.Info().Str("zk", g.zk).Str("root", g.root).Str("scheduler", id).Msg("scheduler started")
			if ln == nil {
				return s.Run(ctx)
			}
			log.Info().Str("url", "http://"+ln.Addr().String()+"/").Msg("serving dashboard, API and metrics")
			front.Set(web.New(s, st))
			err = s.Run(ctx)
			if herr := stopHTTP(); herr != nil && err == nil {
				err = herr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "scheduler id (default: host-pid)")
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve /metrics, /healthz, /readyz, /api/v1 and the dashboard on ADDR (\":8080\" binds loopback)")
	cmd.Flags().DurationVar(&retention, "result-retention", 7*24*time.Hour, "keep finished results this long from when each came (up to a minute more)")
	cmd.Flags().IntVar(&maxResults, "max-results", 1_000_000, "keep at most this many finished results, oldest pruned first (-1: no cap)")
	cmd.Flags().IntVar(&maxDeadletters, "max-deadletters", 10_000, "keep at most this many deadletter records, oldest pruned first (they also go after --result-retention)")
	cmd.Flags().DurationVar(&timeoutGrace, "timeout-grace", 30*time.Second, "withdraw an attempt this long past its timeout when its worker has not ended it")
	return cmd
}

func newWorkerCmd(g *globals) *cobra.Command {
	var (
		id           string
		capacity     int
		prefetch     int
		labels       []string
		drainTimeout time.Duration
		allow        []string
		allowEnv     []string
		cleanEnv     bool
		runAs        string
		httpAddr     string
	)
	cmd := &cobra.Command{
		Use:   "worker [--id ID] [--capacity N] [--label k=v]...",
		Short: "Run a worker that executes the tasks placed on it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" && givenOnCommandLine(cmd, "id") {
				// --id "$WORKER_ID" with the variable unset.
				return usageErr("--id \"\": empty (leave the flag out for the default, the host name)")
			}
			if id == "" {
				id = defaultID()
			}
			if err := store.ValidateNodeName(id); err != nil {
				return usageErr("--id: %v", err)
			}
			if capacity < 1 || capacity > store.MaxCapacity {
				return usageErr("--capacity %d: want 1 to %d", capacity, store.MaxCapacity)
			}
			if prefetch < 0 || prefetch > store.MaxCapacity-capacity {
				return usageErr("--prefetch %d: want 0 to %d (--capacity and --prefetch together at most %d)", prefetch, store.MaxCapacity-capacity, store.MaxCapacity)
			}
			lm, err := parsePairs("--label", labels, true)
			if err != nil {
				return err
			}
			if drainTimeout <= 0 {
				return usageErr("--drain-timeout %v: must be positive", drainTimeout)
			}
			log := g.logger("worker")
			cfg := worker.Config{ID: id, Commands: true, Labels: lm, Capacity: capacity, Prefetch: prefetch, Log: log, Version: version, DrainTimeout: drainTimeout,
				Allow: allow, AllowEnv: allowEnv, CleanEnv: cleanEnv, RunAs: runAs}
			if err := worker.CheckConfig(cfg); err != nil {
				return usageErr("%v", err) // before connecting: bad flags exit 2 at once
			}
			// The daemon's own lines name the worker as the worker's do
			// (which add worker_id to cfg.Log themselves): a fleet's logs
			// gathered in one place tell its workers apart.
			dlog := log.With().Str("worker_id", id).Logger()
			ln, err := listenHTTP(httpAddr)
			if err != nil {
				return err
			}
			if ln != nil {
				defer ln.Close()
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sigs := make(chan os.Signal, 2)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			// Served while connecting too; it ends with Run, a drain too.
			front, stopHTTP := serveFront(ctx, ln)
			defer stopHTTP()
			openCtx, stopOpen := signalContext()
			st, err := g.open(openCtx, &log)
			interrupted := openCtx.Err() != nil
			stopOpen()
			if err != nil {
				if interrupted {
					dlog.Info().Msg("stopped while connecting to ZooKeeper")
					return nil // stopped as asked, as once running
				}
				return err
			}
			defer st.Close()
			cfg.Store = st
			w, err := worker.New(cfg)
			if err != nil {
				return usageErr("%v", err)
			}
			// First signal: drain (finish running attempts, take no new ones).
			// Second: stop at once, killing what runs.
			done := make(chan struct{})
			defer close(done)
			go func() {
				select {
				case <-sigs:
				case <-done:
					return
				}
				dlog.Info().Msg("signal: draining; signal again to stop at once")
				w.Drain()
				select {
				case <-sigs:
					dlog.Warn().Msg("second signal: stopping now")
					cancel()
				case <-done:
				}
			}()
			dlog.Info().Str("zk", g.zk).Str("root", g.root).Msg("worker started")
			if ln == nil {
				return w.Run(ctx)
			}
			dlog.Info().Str("url", "http://"+ln.Addr().String()+"/metrics").Msg("serving metrics")
			front.Set(web.NewWorker(w, st))
			err = w.Run(ctx)
			if herr := stopHTTP(); herr != nil && err == nil {
				err = herr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve /metrics and /healthz on ADDR (\":9100\" binds loopback)")
	cmd.Flags().StringVar(&id, "id", "", "worker id (default: host name)")
	cmd.Flags().IntVar(&capacity, "capacity", 4, "attempts run at once (1 to 10000)")
	cmd.Flags().IntVar(&prefetch, "prefetch", 0, "assignments beyond --capacity that wait here for a slot (0 to 10000 minus --capacity), of tasks with no timeout nor a starting deadline that binds: for many short tasks")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "label k=v tasks can require with --on (repeatable)")
	cmd.Flags().StringArrayVar(&allow, "allow", nil, "only run programs matching this glob (absolute path, or name); repeatable; shell tasks need /bin/sh")
	cmd.Flags().StringArrayVar(&allowEnv, "allow-env", nil, "only run tasks whose variable names all match one of these globs; repeatable")
	cmd.Flags().BoolVar(&cleanEnv, "clean-env", false, "run commands without the worker's environment (PATH, task env and DROVER_* only)")
	cmd.Flags().StringVar(&runAs, "run-as", "", "run commands as this user (the worker must run as root)")
	cmd.Flags().DurationVar(&drainTimeout, "drain-timeout", 30*time.Second, "on SIGTERM, how long running attempts may finish before they are killed")
	return cmd
}
