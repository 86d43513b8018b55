// Package bench measures Drover against the ZooKeeper it runs on, in one run:
// raw ZooKeeper write rates, Drover's end-to-end task throughput and latency,
// crash failover time and cron precision, so the ratios hold on a noisy machine.
package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/tailbuf"
	"github.com/drover-sched/drover/worker"
)

// Config says what to measure against.
type Config struct {
	Servers []string
	// Duration is spent on each throughput phase; default 5s.
	Duration time.Duration
	// Tasks is how many no-op tasks the throughput phase keeps queued
	// ahead of its workers while it counts; default 5000.
	Tasks int
	// Workers and their capacity for the throughput phase; default 2 x 32.
	Workers, Capacity int
	// Prefetch is each worker's prefetch (worker.Config.Prefetch) in the
	// throughput and CLI phases; default 3 x Capacity (at most
	// store.MaxCapacity less it), negative none.
	Prefetch int
	// SessionTimeout used for the failover phase; default 2s.
	SessionTimeout time.Duration
	// ConnectTimeout bounds each wait for a ZooKeeper session, so a bench
	// pointed at a server that is not there says so; default 10s.
	ConnectTimeout time.Duration
	// Binary is a drover binary to run the crashing scheduler and the CLI
	// phase with; "" skips those phases.
	Binary string
	// CLITasks is how many `true` commands the CLI phase submits with
	// `drover submit -f` to a scheduler and Workers x Capacity worker
	// processes; default 10000, negative skips the phase.
	CLITasks int
	// CronFanout is how many schedules the cron fan-out phase makes fire
	// at one slot, at most MaxCronFanout; default 1000, negative skips the
	// phase.
	CronFanout int
	Log        zerolog.Logger
	// Scale, when Scale.Queued > 0, adds the scale phase.
	Scale ScaleConfig
	// ZKPid, when not 0, is the ZooKeeper server's process id (the bench
	// started it): the CLI phase then reports its CPU too.
	ZKPid int
	// Cleanup deletes each phase's root when the phase ends, interrupted or
	// not: for an ensemble the bench did not start.
	Cleanup bool
	// Auth and TLS reach an ensemble that asks for credentials or TLS (as
	// store.Config's); ProcessArgs and ProcessEnv give the drover processes
	// the bench starts the same, as global flags and environment (the
	// credentials go by DROVER_ZK_AUTH, never on a command line).
	// ReadOnlyAuth is store.Config's: the read-only identity added to what
	// the bench creates (DROVER_ZK_AUTH_READONLY to its processes).
	Auth         string
	ReadOnlyAuth string
	TLS          *tls.Config
	ProcessArgs  []string
	ProcessEnv   []string

	// reached, set by Run, records that a store of the running phase got a
	// session: a phase that never did wrote nothing.
	reached *atomic.Bool
	// Progress, when set, is told which phase starts.
	Progress func(phase string)
	// clock, when set, is what the cron fan-out phase picks its slot by
	// (a test sets it behind to make the slot too close); else time.Now.
	clock func() time.Time
}

func (c Config) now() time.Time {
	if c.clock != nil {
		return c.clock()
	}
	return time.Now()
}

// Report holds the figures; the JSON keys are stable.
type Report struct {
	ZKRawCreatesPerS  float64 `json:"zk_raw_creates_per_s"`
	ZKRawMultiOpsPerS float64 `json:"zk_raw_multi_ops_per_s"`
	TasksPerS         float64 `json:"tasks_per_s"`
	TasksPerRawCreate float64 `json:"tasks_per_s_over_zk_raw_creates"`
	// Where the throughput phase's CPU went (Linux only; else nil).
	*TasksCPUReport
	// One request at a time on an otherwise idle server, measured just
	// before the latency phase: what its figures are made of.
	ZKRawCreateP50Ms     float64 `json:"zk_raw_create_p50_ms"`
	ZKRawCreateP99Ms     float64 `json:"zk_raw_create_p99_ms"`
	ZKRawGetP50Ms        float64 `json:"zk_raw_get_p50_ms"`
	SubmitToStartP50Ms   float64 `json:"submit_to_start_p50_ms"`
	SubmitToStartP99Ms   float64 `json:"submit_to_start_p99_ms"`
	SubmitToResultP50Ms  float64 `json:"submit_to_result_p50_ms"`
	FailoverMs           float64 `json:"failover_ms"`
	SessionTimeoutMs     float64 `json:"session_timeout_ms"`
	CronDelayP50Ms       float64 `json:"cron_delay_p50_ms"`
	CronDelayP99Ms       float64 `json:"cron_delay_p99_ms"`
	CLITasksPerS         float64 `json:"cli_tasks_per_s"`
	CLITasksPerRawCreate float64 `json:"cli_tasks_per_s_over_zk_raw_creates"`
	CLITasks             int     `json:"cli_tasks"`
	PeakRSSMB            float64 `json:"peak_rss_mb"`
	Tasks                int     `json:"tasks"`
	Workers              int     `json:"workers"`
	Capacity             int     `json:"capacity"`
	// Prefetch is the workers' prefetch in the throughput and CLI phases.
	Prefetch int `json:"prefetch"`
	// LeftBehind names the roots the bench could not delete (with
	// Config.Cleanup): the figures stand, the ensemble needs a hand.
	LeftBehind []string `json:"left_behind,omitempty"`
	// CLICPU is where the CLI phase's CPU went (Linux; nil elsewhere).
	*CLICPUReport
	// Spawn is what starting `true` costs with nothing else running: the
	// CLI phase's own ceiling.
	*SpawnReport
	*CronFanoutReport
	*ScaleReport
}

// MaxCronFanout bounds the cron fan-out phase, whose slot is further ahead
// the more schedules it makes (a second per 4,000): a mistyped count would
// hold the bench for hours. Its schedules' names (12 bytes) must also fit
// the schedules directory (store.MaxScheduleListing: 49,152 of them).
const MaxCronFanout = 40000

// CronFanoutReport is the cron fan-out phase's: many schedules due at the
// same slot, as on the hour. The leader fires them together.
type CronFanoutReport struct {
	Schedules int `json:"cron_fanout_schedules"`
	// From the slot to each task's start, of those that started.
	StartP50Ms float64 `json:"cron_fanout_start_p50_ms"`
	StartMaxMs float64 `json:"cron_fanout_start_max_ms"`
	// FiredMaxMs is from the slot to the last firing's commit (the latest
	// mtime of the schedule records): the leader's part, without the
	// workers' draining of the tasks.
	FiredMaxMs float64 `json:"cron_fanout_fired_max_ms"`
	// RefiredMaxMs is the same at the second slot, where each schedule has
	// its first run to file, as at every slot but a schedule's first.
	RefiredMaxMs float64 `json:"cron_fanout_refired_max_ms"`
	// Missed are the slots of the two that did not fire: the leader came
	// more than 2 s (OnTime) late for them, and catch-up none records a
	// miss.
	Missed int `json:"cron_fanout_missed"`
}

// Run measures every figure, each phase under its own root.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.Tasks <= 0 {
		cfg.Tasks = 5000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Capacity <= 0 {
		cfg.Capacity = 32
	}
	switch {
	case cfg.Prefetch == 0:
		cfg.Prefetch = min(3*cfg.Capacity, store.MaxCapacity-cfg.Capacity)
	case cfg.Prefetch < 0:
		cfg.Prefetch = 0
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 2 * time.Second
	}
	if cfg.CLITasks == 0 {
		cfg.CLITasks = 10000
	}
	if cfg.CronFanout == 0 {
		cfg.CronFanout = 1000
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	var reached atomic.Bool
	cfg.reached = &reached
	r := &Report{Tasks: cfg.Tasks, Workers: cfg.Workers, Capacity: cfg.Capacity, Prefetch: cfg.Prefetch, SessionTimeoutMs: ms(cfg.SessionTimeout)}
	run := fmt.Sprintf("/drover-bench-%d", time.Now().UnixNano())
	// Each phase measures under a root of its own; with cfg.Cleanup that root
	// is deleted after it, however it ended.
	phases := []struct {
		name, suffix string
		run          bool
		measure      func(root string) error
	}{
		{"raw ZooKeeper creates", "raw", true, func(root string) (err error) {
			r.ZKRawCreatesPerS, err = rawCreates(ctx, cfg, root)
			return err
		}},
		{"raw ZooKeeper multis", "multi", true, func(root string) (err error) {
			r.ZKRawMultiOpsPerS, err = rawMultis(ctx, cfg, root)
			return err
		}},
		{"task throughput", "tasks", true, func(root string) (err error) {
			r.TasksPerS, r.TasksCPUReport, err = throughput(ctx, cfg, root)
			r.TasksPerRawCreate = r.TasksPerS / r.ZKRawCreatesPerS
			return err
		}},
		{"raw ZooKeeper latency", "rawlat", true, func(root string) (err error) {
			r.ZKRawCreateP50Ms, r.ZKRawCreateP99Ms, r.ZKRawGetP50Ms, err = rawLatency(ctx, cfg, root)
			return err
		}},
		{"idle latency", "latency", true, func(root string) (err error) {
			r.SubmitToStartP50Ms, r.SubmitToStartP99Ms, r.SubmitToResultP50Ms, err = latency(ctx, cfg, root)
			return err
		}},
		{"cron precision", "cron", true, func(root string) (err error) {
			r.CronDelayP50Ms, r.CronDelayP99Ms, err = cronDelay(ctx, cfg, root)
			return err
		}},
		{fmt.Sprintf("cron fan-out: %d schedules on one slot", cfg.CronFanout), "fanout", cfg.CronFanout > 0, func(root string) (err error) {
			r.CronFanoutReport, err = cronFanout(ctx, cfg, root)
			return err
		}},
		{"crash failover", "failover", cfg.Binary != "", func(root string) (err error) {
			var granted time.Duration
			r.FailoverMs, granted, err = failover(ctx, cfg, root)
			if granted > 0 {
				// What the server granted, against which failover_ms reads:
				// a server gives at least 2 ticks (4 s with tickTime=2000),
				// whatever the bench asked for.
				r.SessionTimeoutMs = ms(granted)
			}
			return err
		}},
		{fmt.Sprintf("CLI: raw starts of true, then submit -f of %d true commands", cfg.CLITasks), "cli", cfg.Binary != "" && cfg.CLITasks > 0, func(root string) (err error) {
			r.CLITasks = cfg.CLITasks
			// First, with nothing else running: what the machine itself
			// allows the phase, at the workers' slots in flight.
			if r.SpawnReport, err = rawSpawns(ctx, cfg.Duration, cfg.Workers*cfg.Capacity); err != nil {
				return err
			}
			r.CLITasksPerS, r.CLICPUReport, err = cliThroughput(ctx, cfg, root)
			r.CLITasksPerRawCreate = r.CLITasksPerS / r.ZKRawCreatesPerS
			r.TasksPerRawTrue = r.CLITasksPerS / r.SpawnReport.PerS
			return err
		}},
		{fmt.Sprintf("scale: %d queued tasks", cfg.Scale.Queued), "scale", cfg.Binary != "" && cfg.Scale.Queued > 0, func(root string) (err error) {
			// Taken before: the scale phase's 500 in-process workers hold
			// a ZooKeeper client each (3 MiB of buffers apiece).
			r.PeakRSSMB = peakRSSMB()
			r.ScaleReport, err = scale(ctx, cfg, root)
			return err
		}},
	}
	for _, p := range phases {
		if !p.run {
			continue
		}
		progress(p.name)
		root := run + "-" + p.suffix
		reached.Store(false)
		err := p.measure(root)
		// A phase that could not reach ZooKeeper at all wrote nothing, and
		// its cleanup would wait as long again to say the same.
		var unreachable *unreachableError
		if cfg.Cleanup && (reached.Load() || !errors.As(err, &unreachable)) {
			progress("deleting " + root)
			if cerr := deleteRoot(ctx, cfg, root); cerr != nil {
				cfg.Log.Warn().Err(cerr).Str("root", root).Msg("bench left its znodes behind")
				r.LeftBehind = append(r.LeftBehind, root)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
	}
	if r.PeakRSSMB == 0 {
		r.PeakRSSMB = peakRSSMB()
	}
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// unreachableError is a session not had within cfg.ConnectTimeout, or
// servers whose names do not resolve.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

func open(ctx context.Context, cfg Config, root string) (*store.Store, error) {
	return openStore(ctx, cfg, store.Config{Servers: cfg.Servers, Root: root, SessionTimeout: cfg.SessionTimeout})
}

func openStore(ctx context.Context, cfg Config, c store.Config) (*store.Store, error) {
	c.Auth, c.ReadOnlyAuth, c.TLS = cfg.Auth, cfg.ReadOnlyAuth, cfg.TLS
	octx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	st, err := store.Open(octx, c)
	switch {
	case err == nil:
		if cfg.reached != nil {
			cfg.reached.Store(true)
		}
		return st, nil
	case ctx.Err() != nil:
		return nil, context.Cause(ctx) // interrupted (or a process ended), not unreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, store.ErrNoAddress):
		return nil, &unreachableError{err} // no session, or no address to dial
	}
	return nil, err
}

// cleanupTimeout bounds deleting a phase's root, which goes on after an
// interrupt: a million results take about a minute.
const cleanupTimeout = 5 * time.Minute

// deleteRoot deletes a phase's root and everything under it. It runs on when
// ctx is done, so an interrupted run leaves nothing behind either; the error
// names the root, for deleting it by hand.
func deleteRoot(ctx context.Context, cfg Config, root string) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// Drover's default session, as the scale phase's: a server holding a
	// million znodes pauses for longer than the bench's 2 s.
	st, err := openStore(dctx, cfg, store.Config{Servers: cfg.Servers, Root: root, SessionTimeout: scaleSessionTimeout, MustExist: true})
	if errors.Is(err, store.ErrNoCluster) {
		return nil // the phase failed before it wrote anything
	}
	if err == nil {
		defer st.Close()
		// DeleteTree starts over where it stopped. A write still in flight
		// from a process the phase stopped can add a name to a directory
		// after it was listed; a lost connection or session ends a pass.
		for attempt := 0; attempt < 5; attempt++ {
			if _, err = st.DeleteTree(dctx, root); !errors.Is(err, store.ErrNotEmpty) &&
				!errors.Is(err, store.ErrConnection) && !errors.Is(err, store.ErrSessionExpired) {
				break
			}
			if _, serr := st.CurrentSession(dctx); serr != nil {
				break
			}
		}
	}
	if err != nil {
		return fmt.Errorf("could not delete %s (delete it with zkCli.sh deleteall %s): %w", root, root, err)
	}
	return nil
}

// rawCreates is the rate of plain creates with 64 requests in flight, each
// goroutine in its own directory (so none grows past what zkCli.sh, with its
// 1 MB jute.maxbuffer, can list, should a root be left to delete by hand).
func rawCreates(ctx context.Context, cfg Config, root string) (float64, error) {
	return rawRate(ctx, cfg, root, 64, func(st *store.Store, dir string, g, i int) (int, error) {
		return 1, st.Create(fmt.Sprintf("%s/%d/%d", dir, g, i), nil)
	})
}

// rawMultis is the op rate of 50-create multis, 4 in flight: a znode and 49
// children of it, so a directory gains one name per multi, not fifty.
func rawMultis(ctx context.Context, cfg Config, root string) (float64, error) {
	return rawRate(ctx, cfg, root, 4, func(st *store.Store, dir string, g, i int) (int, error) {
		parent := fmt.Sprintf("%s/%d/%d", dir, g, i)
		txn := st.Txn().Create(parent, nil)
		for j := 1; j < 50; j++ {
			txn.Create(parent+"/"+strconv.Itoa(j), nil)
		}
		return 50, txn.Commit()
	})
}

// rawLatency times creates and gets one at a time (200 each, after a few
// uncounted), as the idle latency phase meets the server: the percentiles of
// a create and the median of a get.
func rawLatency(ctx context.Context, cfg Config, root string) (createP50, createP99, getP50 float64, err error) {
	st, err := open(ctx, cfg, root)
	if err != nil {
		return 0, 0, 0, err
	}
	defer st.Close()
	dir := root + "/n"
	if err := st.EnsurePath(dir); err != nil {
		return 0, 0, 0, err
	}
	var creates, gets []float64
	for i := -20; i < 200 && ctx.Err() == nil; i++ {
		p := fmt.Sprintf("%s/%d", dir, i+20)
		t0 := time.Now()
		if err := st.Create(p, []byte("x")); err != nil {
			return 0, 0, 0, err
		}
		t1 := time.Now()
		if _, _, err := st.Get(p); err != nil {
			return 0, 0, 0, err
		}
		if i >= 0 {
			creates, gets = append(creates, ms(t1.Sub(t0))), append(gets, ms(time.Since(t1)))
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, 0, err
	}
	return pct(creates, 50), pct(creates, 99), pct(gets, 50), nil
}

// rawRate runs op from n goroutines for cfg.Duration and returns the
// operations per second they completed.
func rawRate(ctx context.Context, cfg Config, root string, n int, op func(st *store.Store, dir string, g, i int) (int, error)) (float64, error) {
	st, err := open(ctx, cfg, root)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	dir := root + "/n"
	// A warm-up that is not counted: the server's JIT and caches settle
	// first, so the figure Drover is compared with is the server's best.
	if _, err := rawRun(ctx, st, dir+"/w", n, time.Second, op); err != nil {
		return 0, err
	}
	return rawRun(ctx, st, dir, n, cfg.Duration, op)
}

func rawRun(ctx context.Context, st *store.Store, dir string, n int, d time.Duration, op func(st *store.Store, dir string, g, i int) (int, error)) (float64, error) {
	for g := 0; g < n; g++ {
		if err := st.EnsurePath(fmt.Sprintf("%s/%d", dir, g)); err != nil {
			return 0, err
		}
	}
	var done atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				k, err := op(st, dir, g, i)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				done.Add(int64(k))
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err // cut short: no figure
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// cluster is an in-process scheduler and workers, each on its own session.
type cluster struct {
	stores  []*store.Store
	workers []*worker.Worker
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func (c *cluster) close() {
	c.cancel()
	c.wg.Wait()
	for _, st := range c.stores {
		st.Close()
	}
}

func (c *cluster) reported() int64 {
	var n int64
	for _, w := range c.workers {
		n += w.Reported()
	}
	return n
}

// startCluster runs one scheduler and n workers with handler h registered as
// "noop".
func startCluster(ctx context.Context, cfg Config, root string, n, capacity, prefetch int, h worker.Handler) (*cluster, error) {
	cctx, cancel := context.WithCancel(context.Background())
	c := &cluster{cancel: cancel}
	st, err := open(ctx, cfg, root)
	if err != nil {
		cancel()
		return nil, err
	}
	c.stores = append(c.stores, st)
	s, err := scheduler.New(scheduler.Config{ID: "bench-scheduler", Store: st, Log: cfg.Log})
	if err != nil {
		c.close()
		return nil, err
	}
	c.wg.Add(1)
	go func() { defer c.wg.Done(); _ = s.Run(cctx) }()
	if err := c.addWorkers(ctx, cctx, cfg, root, n, capacity, prefetch, h); err != nil {
		c.close()
		return nil, err
	}
	if err := waitUntil(ctx, 30*time.Second, s.IsLeader); err != nil {
		c.close()
		return nil, fmt.Errorf("bench scheduler did not lead: %w", err)
	}
	return c, nil
}

// addWorkers starts n workers running h as "noop", each on its own session,
// until cctx ends, and waits for them to register.
func (c *cluster) addWorkers(ctx, cctx context.Context, cfg Config, root string, n, capacity, prefetch int, h worker.Handler) error {
	for i := 0; i < n; i++ {
		wst, err := open(ctx, cfg, root)
		if err != nil {
			return err
		}
		c.stores = append(c.stores, wst)
		w, err := worker.New(worker.Config{ID: fmt.Sprintf("bench-worker-%d", i+1), Store: wst, Capacity: capacity, Prefetch: prefetch, Log: cfg.Log})
		if err != nil {
			return err
		}
		if err := w.Handle("noop", h); err != nil {
			return err
		}
		c.workers = append(c.workers, w)
		c.wg.Add(1)
		go func() { defer c.wg.Done(); _ = w.Run(cctx) }()
		select {
		case <-w.Registered():
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

var noop = worker.HandlerFunc(func(context.Context, *worker.Task) ([]byte, error) { return nil, nil })

func noopTasks(n int) []*store.Task {
	now := time.Now().UTC()
	tasks := make([]*store.Task, n)
	for i := range tasks {
		tasks[i] = &store.Task{ID: store.NewTaskID(now), Handler: "noop", SubmittedAt: now}
	}
	return tasks
}

// throughput keeps cfg.Tasks no-op tasks queued ahead of an in-process
// scheduler and workers, and counts the results reported over cfg.Duration
// after a second's warm-up, as the raw rates are counted: a fixed batch
// timed from a cold cluster's first submit counted its ramp-up and drain
// tail too, over a window shorter than the raw rate's.
func throughput(ctx context.Context, cfg Config, root string) (float64, *TasksCPUReport, error) {
	c, err := startCluster(ctx, cfg, root, cfg.Workers, cfg.Capacity, cfg.Prefetch, noop)
	if err != nil {
		return 0, nil, err
	}
	defer c.close()
	st := c.stores[0]
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var submitted atomic.Int64
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		batch := min(cfg.Tasks, store.MaxBatch*5)
		for sctx.Err() == nil {
			if submitted.Load()-c.reported() >= int64(cfg.Tasks) {
				time.Sleep(time.Millisecond) // the backlog is full: pace, not spin
				continue
			}
			if _, err := st.Submit(sctx, noopTasks(batch)); err != nil {
				if sctx.Err() == nil {
					errc <- err
				}
				return
			}
			submitted.Add(int64(batch))
		}
	}()
	defer wg.Wait()
	defer stop()
	sample := func() (cpuSample, error) { return sampleCPU(os.Getpid(), nil, cfg.ZKPid) }
	pause := func(d time.Duration) error {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	if err := pause(time.Second); err != nil { // warm-up
		return 0, nil, err
	}
	before, cpuErr := sample()
	start, from := time.Now(), c.reported()
	if err := pause(cfg.Duration); err != nil {
		return 0, nil, err
	}
	done := c.reported() - from
	rate := float64(done) / time.Since(start).Seconds()
	after, err := sample()
	if done == 0 {
		return 0, nil, fmt.Errorf("no task done in %v (%d submitted)", cfg.Duration, submitted.Load())
	}
	if cpuErr != nil || err != nil {
		return rate, nil, nil // no /proc: the rate stands alone
	}
	return rate, tasksCPU(before, after, int(done)), nil
}

// latency submits one task at a time to an idle cluster.
func latency(ctx context.Context, cfg Config, root string) (startP50, startP99, resultP50 float64, err error) {
	started := make(chan time.Time, 1)
	h := worker.HandlerFunc(func(context.Context, *worker.Task) ([]byte, error) {
		started <- time.Now()
		return nil, nil
	})
	c, err := startCluster(ctx, cfg, root, 1, 4, 0, h)
	if err != nil {
		return 0, 0, 0, err
	}
	defer c.close()
	st := c.stores[0]
	var toStart, toResult []float64
	for i := 0; i < 200 && ctx.Err() == nil; i++ {
		task := noopTasks(1)
		t0 := time.Now()
		if _, err := st.Submit(ctx, task); err != nil {
			return 0, 0, 0, err
		}
		select {
		case at := <-started:
			toStart = append(toStart, ms(at.Sub(t0)))
		case <-time.After(30 * time.Second):
			return 0, 0, 0, errors.New("task did not start")
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := st.WaitResult(wctx, task[0].ID)
		cancel()
		if err != nil {
			return 0, 0, 0, err
		}
		toResult = append(toResult, ms(time.Since(t0)))
	}
	return pct(toStart, 50), pct(toStart, 99), pct(toResult, 50), nil
}

// cronDelay runs a per-second schedule for a few slots and measures how late
// each slot's task starts.
func cronDelay(ctx context.Context, cfg Config, root string) (p50, p99 float64, err error) {
	h := &slotDelays{}
	c, err := startCluster(ctx, cfg, root, 1, 4, 0, h)
	if err != nil {
		return 0, 0, err
	}
	defer c.close()
	if err := addSchedule(c.stores[0], "tick", "* * * * * *"); err != nil {
		return 0, 0, err
	}
	// The first slot, the schedule's first firing, is a warm-up, as the
	// other phases have; of the 5 or so that count, p99 is the largest.
	slots := max(5, int(cfg.Duration/time.Second)) + 1
	ran := func() int { return h.count(0) }
	if err := waitUntil(ctx, time.Duration(slots+10)*time.Second, func() bool { return ran() >= slots }); err != nil {
		return 0, 0, fmt.Errorf("only %d of %d slots ran: %w", ran(), slots, err)
	}
	delays := h.afterFirst()
	return pct(delays, 50), pct(delays, 99), nil
}

// afterFirst is the delays of every slot's tasks but the earliest slot's.
func (d *slotDelays) afterFirst() []float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	first := int64(math.MaxInt64)
	for slot := range d.bySlot {
		first = min(first, slot)
	}
	var all []float64
	for slot, ds := range d.bySlot {
		if slot != first {
			all = append(all, ds...)
		}
	}
	return all
}

// addSchedule makes a schedule of the no-op handler on spec (UTC), with
// catch-up none and concurrency allow.
func addSchedule(st *store.Store, name, spec string) error {
	rec := &store.Schedule{Name: name, Cron: spec, TZ: "UTC", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		Task: store.Task{Handler: "noop"}, CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10}
	return st.AddSchedule(rec)
}

// slotDelays is a handler that records, for each task a schedule fired, how
// long after its slot it started.
type slotDelays struct {
	mu     sync.Mutex
	bySlot map[int64][]float64 // slot (Unix seconds) -> its tasks' delays
}

func (d *slotDelays) ProcessTask(_ context.Context, t *worker.Task) ([]byte, error) {
	now := time.Now()
	slot, _ := strconv.ParseInt(t.Env["DROVER_SLOT"], 10, 64)
	d.mu.Lock()
	if d.bySlot == nil {
		d.bySlot = map[int64][]float64{}
	}
	d.bySlot[slot] = append(d.bySlot[slot], ms(now.Sub(time.Unix(slot, 0))))
	d.mu.Unlock()
	return nil, nil
}

// count is how many tasks of slot (Unix seconds) ran, or of every slot with
// 0.
func (d *slotDelays) count(slot int64) int { return len(d.of(slot)) }

// of is the delays of the tasks of slot (Unix seconds), or of every slot
// with 0.
func (d *slotDelays) of(slot int64) []float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if slot != 0 {
		return slices.Clone(d.bySlot[slot])
	}
	var all []float64
	for _, ds := range d.bySlot {
		all = append(all, ds...)
	}
	return all
}

// cronFanout makes cfg.CronFanout schedules that all fire at the same two
// slots, the first a few seconds ahead, and measures how late their tasks
// start and how long after each slot the leader's last firing committed.
// At the second slot each schedule has its first run to file, as every
// slot but a schedule's first has.
func cronFanout(ctx context.Context, cfg Config, root string) (*CronFanoutReport, error) {
	n := cfg.CronFanout
	h := &slotDelays{}
	c, err := startCluster(ctx, cfg, root, cfg.Workers, min(max(cfg.Capacity, (n+cfg.Workers-1)/cfg.Workers), store.MaxCapacity), 0, h)
	if err != nil {
		return nil, err
	}
	defer c.close()
	st := c.stores[0]
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("fanout-%05d", i)
	}
	slot, slot2, err := makeFanout(ctx, cfg, st, names)
	if err != nil {
		return nil, err
	}
	r := &CronFanoutReport{Schedules: n}
	// Each slot's tasks, or a miss; then when its last firing committed,
	// from the schedule records' mtimes.
	for i, at := range []time.Time{slot, slot2} {
		all := func() bool { return h.count(at.Unix()) >= n }
		wait := time.Until(at) + 15*time.Second + time.Duration(n)*time.Millisecond
		if i == 0 {
			wait = time.Until(slot2) - beforeReadAhead
		}
		if err := waitUntil(ctx, wait, all); err != nil && ctx.Err() != nil {
			return nil, err
		}
		fired, last, err := firings(st, names, at)
		if err != nil {
			return nil, fmt.Errorf("cron fan-out: %w", err)
		}
		r.Missed += n - fired
		switch {
		case last.IsZero():
		case i == 0:
			r.FiredMaxMs = ms(last.Sub(at))
		default:
			r.RefiredMaxMs = ms(last.Sub(at))
		}
	}
	first := h.of(slot.Unix())
	r.StartP50Ms, r.StartMaxMs = pct(first, 50), pct(first, 100)
	return r, nil
}

// fanoutTries bounds how often the fan-out phase makes its schedules for a
// slot: when making them left less than a second before it (a loaded
// host), it removes them and makes them again for a later one.
const fanoutTries = 3

// makeFanout makes a schedule of each name due at two slots of one minute,
// and returns them. The leader must have read every schedule before the
// first slot: 4 to 5 s, and a second more per 4,000 schedules to make. The
// second comes 16 s after it, as a slot whose last runs are read ahead of
// it (10 s ahead, of slots 15 s apart or more), and a second more per 2,000
// schedules, so the first's tasks are drained before the read. Both are in
// one minute, so that one spec names both and no slot between. When making
// them took so long that the first slot is less than a second away, it
// removes them and tries again with the lead longer by twice what they
// took; the names are reused (a removed name stays listed for an hour).
func makeFanout(ctx context.Context, cfg Config, st *store.Store, names []string) (slot, slot2 time.Time, err error) {
	n := len(names)
	lead, gap := 5*time.Second+time.Duration(n/4000)*time.Second, 16*time.Second+time.Duration(n/2000)*time.Second
	errs := make([]error, n)
	for try := 1; ; try++ {
		slot = cfg.now().UTC().Truncate(time.Second).Add(lead)
		if slot.Add(gap).Minute() != slot.Minute() {
			slot = slot.Add(gap).Truncate(time.Minute)
		}
		slot2 = slot.Add(gap)
		spec := fmt.Sprintf("%d,%d %d %d %d %d *", slot.Second(), slot2.Second(), slot.Minute(), slot.Hour(), slot.Day(), int(slot.Month()))
		start := time.Now()
		store.Pipelined(n, func(i int) { errs[i] = addSchedule(st, names[i], spec) })
		if err := errors.Join(errs...); err != nil {
			return slot, slot2, err
		}
		left := time.Until(slot)
		if left >= time.Second {
			return slot, slot2, nil
		}
		took := time.Since(start)
		if try == fanoutTries {
			return slot, slot2, fmt.Errorf("making %d schedules took %v and left %v before their slot, at each of %d tries: too close to measure (fewer with --cron-fanout)",
				n, took.Round(time.Millisecond), left.Round(time.Millisecond), try)
		}
		cfg.Log.Warn().Int("schedules", n).Dur("took_ms", took).Dur("left_ms", left).Msg("cron fan-out: making the schedules left too little time before their slot; making them again for a later one")
		store.Pipelined(n, func(i int) { errs[i] = st.RemoveSchedule(names[i]) })
		if err := errors.Join(errs...); err != nil {
			return slot, slot2, fmt.Errorf("cron fan-out: removing the schedules to make them again: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return slot, slot2, err
		}
		lead += 2 * took
	}
}

// beforeReadAhead is how long before the second slot the fan-out phase
// stops waiting for the first slot's tasks, and reads the records: before
// the leader reads the outcomes of their runs ahead of the slot (10 s), so
// that the two reads do not slow each other.
const beforeReadAhead = 11 * time.Second

// firings reads the schedules named and reports how many have fired slot
// (a run of it in their history: a missed slot is filed without one), and
// the latest mtime of those records.
func firings(st *store.Store, names []string, slot time.Time) (fired int, last time.Time, err error) {
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = st.Layout().Schedule(name)
	}
	ran := func(r store.ScheduleRun) bool { return r.Task != "" && r.Slot.Equal(slot) }
	for _, rd := range st.GetMany(paths) {
		if rd.Err != nil {
			return 0, time.Time{}, rd.Err
		}
		rec, err := store.DecodeSchedule(rd.Data)
		if err != nil {
			return 0, time.Time{}, err
		}
		if slices.ContainsFunc(rec.Active, ran) || slices.ContainsFunc(rec.Succeeded, ran) || slices.ContainsFunc(rec.Failed, ran) {
			fired++
			if rd.Stat.Mtime.After(last) {
				last = rd.Stat.Mtime
			}
		}
	}
	return fired, last, nil
}

// proc is a drover process started by the bench.
type proc struct {
	name   string // its subcommand
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *tailbuf.Buffer // its last 64 KiB of stderr: why it ended (it logs errors only)
}

// startDrover runs the drover binary with the cluster flags and args, in its
// own process group, killed with the bench.
func startDrover(cfg Config, root string, args ...string) (*proc, error) {
	cmd := droverCommand(context.Background(), cfg, root, args...)
	p := &proc{name: args[0], cmd: cmd, exited: make(chan struct{}), stderr: tailbuf.New(64 << 10)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// ended is why p ended, or nil while it runs.
func (p *proc) ended() error {
	select {
	case <-p.exited:
		last := strings.TrimSpace(p.stderr.LastLines(1))
		if last == "" {
			last = "no output"
		}
		return fmt.Errorf("drover %s ended (%v): %s", p.name, p.cmd.ProcessState, last)
	default:
		return nil
	}
}

// untilOneEnds is ctx, canceled as soon as one of procs ends, with why as
// its cause (context.Cause): a phase waiting on a cluster whose scheduler
// or worker died says so at once instead of at its deadline.
func untilOneEnds(ctx context.Context, procs ...*proc) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancelCause(ctx)
	for _, p := range procs {
		go func() {
			select {
			case <-p.exited:
				cancel(p.ended())
			case <-cctx.Done():
			}
		}()
	}
	return cctx, func() { cancel(nil) }
}

// droverCommand is the drover binary with the cluster's flags and args, in
// its own process group (a terminal's Ctrl-C is the bench's to act on) and
// killed by the kernel if the bench dies.
func droverCommand(ctx context.Context, cfg Config, root string, args ...string) *exec.Cmd {
	global := []string{"--zk", strings.Join(cfg.Servers, ","), "--root", root,
		"--session-timeout", cfg.SessionTimeout.String(), "--log-level", "error"}
	cmd := exec.CommandContext(ctx, cfg.Binary, append(append(global, cfg.ProcessArgs...), args...)...)
	cmd.Env = processEnv(cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// processEnv is the environment of a drover process the bench starts: ours
// without any DROVER_ variable, plus cfg.ProcessEnv. It gets what it needs
// from the bench and nothing else: not a config file's worker settings (an
// allow-list, say), nor credentials the bench's own stores do not use.
func processEnv(cfg Config) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DROVER_") {
			env = append(env, kv)
		}
	}
	return append(env, cfg.ProcessEnv...)
}

// kill stops the process (and its group) with sig and waits for it.
func (p *proc) kill(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// cliThroughput runs a scheduler and cfg.Workers workers of cfg.Capacity as
// drover processes, submits cfg.CLITasks `true` commands with
// `drover submit -f`, waits for all of them with `drover wait -f`, and returns
// tasks per second from the start of the submit to the end of the wait, and
// where the CPU went meanwhile (nil where /proc cannot tell).
func cliThroughput(ctx context.Context, cfg Config, root string) (float64, *CLICPUReport, error) {
	st, err := open(ctx, cfg, root)
	if err != nil {
		return 0, nil, err
	}
	defer st.Close()
	procs := []*proc{}
	defer func() {
		for _, p := range procs {
			p.kill(syscall.SIGTERM)
		}
	}()
	p, err := startDrover(cfg, root, "scheduler", "--id", "bench-cli-scheduler")
	if err != nil {
		return 0, nil, err
	}
	procs = append(procs, p)
	var workerPids []int
	for i := 0; i < cfg.Workers; i++ {
		p, err := startDrover(cfg, root, "worker", "--id", fmt.Sprintf("bench-cli-worker-%d", i+1),
			"--capacity", strconv.Itoa(cfg.Capacity), "--prefetch", strconv.Itoa(cfg.Prefetch))
		if err != nil {
			return 0, nil, err
		}
		procs = append(procs, p)
		workerPids = append(workerPids, p.cmd.Process.Pid)
	}
	ctx, stop := untilOneEnds(ctx, procs...)
	defer stop()
	if err := waitUntil(ctx, 60*time.Second, func() bool {
		line, err1 := st.Candidates()
		ws, err2 := st.Workers()
		return err1 == nil && err2 == nil && len(line) == 1 && len(ws) == cfg.Workers
	}); err != nil {
		return 0, nil, fmt.Errorf("cluster did not come up: %w", err)
	}
	dir, err := os.MkdirTemp("", "drover-bench-cli-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(dir)
	specs, ids := filepath.Join(dir, "tasks.jsonl"), filepath.Join(dir, "ids")
	if err := os.WriteFile(specs, []byte(strings.Repeat(`{"cmd":["true"]}`+"\n", cfg.CLITasks)), 0o644); err != nil {
		return 0, nil, err
	}
	sample := func() (cpuSample, error) { return sampleCPU(procs[0].cmd.Process.Pid, workerPids, cfg.ZKPid) }
	before, cpuErr := sample()
	start := time.Now()
	submitCPU, err := runDrover(ctx, cfg, root, ids, "submit", "-f", specs)
	if err != nil {
		return 0, nil, err
	}
	waitCPU, err := runDrover(ctx, cfg, root, "", "wait", "-f", ids)
	if err != nil {
		return 0, nil, err
	}
	rate := float64(cfg.CLITasks) / time.Since(start).Seconds()
	var cpu *CLICPUReport
	if cpuErr == nil {
		var after cpuSample
		if after, cpuErr = sample(); cpuErr == nil {
			cpu = cliCPU(before, after, submitCPU+waitCPU, cfg.CLITasks)
		}
	}
	if cpuErr != nil {
		cfg.Log.Warn().Err(cpuErr).Msg("CLI phase: cannot read processes' CPU times")
	}
	return rate, cpu, nil
}

// runDrover runs one drover command to its end, its stdout to the file out
// (when not ""), and returns the CPU time it used; a failure carries the
// command's stderr.
func runDrover(ctx context.Context, cfg Config, root, out string, args ...string) (time.Duration, error) {
	cmd := droverCommand(ctx, cfg, root, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		cmd.Stdout = f
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return 0, context.Cause(ctx) // we killed it
		}
		return 0, fmt.Errorf("drover %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// failover runs a scheduler process, lets it lead, kills it with SIGKILL and
// times until an in-process standby leads.
func failover(ctx context.Context, cfg Config, root string) (_ float64, granted time.Duration, err error) {
	crash, err := startDrover(cfg, root, "scheduler", "--id", "bench-crash")
	if err != nil {
		return 0, 0, err
	}
	defer crash.kill(syscall.SIGKILL)
	st, err := open(ctx, cfg, root)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	// The crashing scheduler asked for the same timeout of the same server.
	granted = st.GrantedSessionTimeout()
	leaderIs := func(id string) bool {
		rec, _, err := st.Epoch()
		line, lerr := st.Candidates()
		return err == nil && lerr == nil && len(line) > 0 && line[0].Info.ID == id && rec.Leader == id
	}
	lctx, stop := untilOneEnds(ctx, crash)
	err = waitUntil(lctx, 30*time.Second, func() bool { return leaderIs("bench-crash") })
	stop()
	if err != nil {
		return 0, 0, fmt.Errorf("crash scheduler did not lead: %w", err)
	}
	s, err := scheduler.New(scheduler.Config{ID: "bench-standby", Store: st, Log: cfg.Log})
	if err != nil {
		return 0, 0, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(sctx) }()
	defer func() { cancel(); <-done }()
	if err := waitUntil(ctx, 30*time.Second, func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 2
	}); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := syscall.Kill(crash.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return 0, 0, err
	}
	if err := waitUntil(ctx, 10*cfg.SessionTimeout+30*time.Second, s.IsLeader); err != nil {
		return 0, 0, fmt.Errorf("standby did not take over: %w", err)
	}
	return ms(time.Since(start)), granted, nil
}

func waitUntil(ctx context.Context, d time.Duration, cond func() bool) error {
	return waitEvery(ctx, d, 2*time.Millisecond, cond)
}

// waitEvery is waitUntil checking cond every period: a cond that costs its
// target work (a scrape of the process measured) checks seldom.
func waitEvery(ctx context.Context, d, period time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v", d)
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		time.Sleep(period)
	}
	return nil
}

// pct is the p-th percentile of xs (nearest rank).
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(p*float64(len(s))/100)) - 1 // p*n first: 0.99*200 is not 198
	return s[min(max(i, 0), len(s)-1)]
}

// peakRSSMB reads this process's peak resident set size.
func peakRSSMB() float64 { return vmHWM("/proc/self/status") }
