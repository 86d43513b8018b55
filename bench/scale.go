package bench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// ScaleConfig asks for the scale phase: a deep queue and a large fleet.
type ScaleConfig struct {
	// Queued no-op tasks are submitted before any worker runs; 0 skips the
	// phase.
	Queued int
	// Workers register (each on its own session, capacity Capacity) once the
	// leader holds the whole queue, and drain it; default 500 x 4.
	Workers, Capacity int
}

// ScaleReport holds the scale phase's figures; the JSON keys are stable.
type ScaleReport struct {
	Queued  int `json:"scale_queued"`
	Workers int `json:"scale_workers"`
	// SessionTimeoutMs is the session timeout of the phase's scheduler and
	// workers (scaleSessionTimeout).
	SessionTimeoutMs float64 `json:"scale_session_timeout_ms"`
	// SubmitS is the time to submit the queue; LoadS the time until the leader
	// (a scheduler process) held all of it.
	SubmitS float64 `json:"scale_submit_s"`
	LoadS   float64 `json:"scale_leader_load_s"`
	// DrainTasksPerS is the rate at which the workers emptied the queue.
	DrainTasksPerS float64 `json:"scale_drain_tasks_per_s"`
	// SchedulerPeakRSSMB is the scheduler process's peak resident memory.
	SchedulerPeakRSSMB float64 `json:"scale_scheduler_peak_rss_mb"`
	// MaxBucketChildren is the longest child list of any queue or result
	// bucket, and MaxBucketListBytes about the size of its getChildren reply
	// (jute.maxbuffer is 1 MiB by default).
	MaxBucketChildren  int `json:"scale_max_bucket_children"`
	MaxBucketListBytes int `json:"scale_max_bucket_list_bytes"`
}

// scale runs the scale phase: a scheduler process, cfg.Scale.Queued queued
// no-op tasks, then cfg.Scale.Workers in-process workers draining them.
func scale(ctx context.Context, cfg Config, root string) (*ScaleReport, error) {
	sc := cfg.Scale
	if sc.Workers <= 0 {
		sc.Workers = 500
	}
	if sc.Capacity <= 0 {
		sc.Capacity = 4
	}
	// Drover's default session, not the failover phase's 2 s: holding a
	// million znodes, the bench's ZooKeeper (a test server with the serial
	// collector) pauses up to ~1.5 s in a full collection, which expired
	// 2 s sessions of workers by the dozen.
	cfg.SessionTimeout = scaleSessionTimeout
	r := &ScaleReport{Queued: sc.Queued, Workers: sc.Workers, SessionTimeoutMs: ms(cfg.SessionTimeout)}
	st, err := open(ctx, cfg, root)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	sched, err := startDrover(cfg, root, "scheduler", "--id", "bench-scale", "--http", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	defer sched.kill(syscall.SIGTERM)
	ctx, stop := untilOneEnds(ctx, sched)
	defer stop()
	metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)

	start := time.Now()
	// Through the client, as `drover submit -f` does: it sends a batch again
	// when a reply was lost (ZooKeeper under this load may drop a connection).
	c0 := client.New(st)
	g, gctx := errgroup.WithContext(ctx)
	const chunk = 10000
	g.SetLimit(4) // four submitters pipeline their transactions
	for i := 0; i < sc.Queued; i += chunk {
		n := min(chunk, sc.Queued-i)
		g.Go(func() error {
			_, err := c0.Submit(gctx, slices.Repeat([]client.TaskSpec{{Handler: "noop"}}, n))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx) // the scheduler ended, say
		}
		return nil, fmt.Errorf("submit: %w", err)
	}
	r.SubmitS = time.Since(start).Seconds()
	// A scrape every 50 ms: each costs the scheduler measured a collection
	// of its metrics, and every 2 ms they slowed the load timed here.
	if err := waitEvery(ctx, 30*time.Minute, 50*time.Millisecond, func() bool {
		n, err := queueDepth(metrics)
		return err == nil && n >= sc.Queued
	}); err != nil {
		return nil, fmt.Errorf("leader did not load the queue: %w", err)
	}
	r.LoadS = time.Since(start).Seconds() - r.SubmitS
	if r.MaxBucketChildren, err = maxBucket(st, st.Layout().Queue()); err != nil {
		return nil, err
	}

	cctx, cancel := context.WithCancel(context.Background())
	c := &cluster{cancel: cancel}
	defer c.close()
	if err := c.addWorkers(ctx, cctx, cfg, root, sc.Workers, sc.Capacity, 0, noop); err != nil {
		return nil, err
	}
	drainStart := time.Now()
	if err := waitUntil(ctx, 2*time.Hour, func() bool { return c.reported() >= int64(sc.Queued) }); err != nil {
		return nil, fmt.Errorf("drain: %d of %d done: %w", c.reported(), sc.Queued, err)
	}
	r.DrainTasksPerS = float64(sc.Queued) / time.Since(drainStart).Seconds()
	res, err := maxBucket(st, st.Layout().Results())
	if err != nil {
		return nil, err
	}
	r.MaxBucketChildren = max(r.MaxBucketChildren, res)
	r.MaxBucketListBytes = r.MaxBucketChildren * (ulidLen + 4) // a string each: length and bytes
	r.SchedulerPeakRSSMB = procPeakRSSMB(sched.cmd.Process.Pid)
	return r, nil
}

const ulidLen = 26

// scaleSessionTimeout is the scale phase's session timeout: Drover's default.
const scaleSessionTimeout = 10 * time.Second

// maxBucket returns the most children any bucket <dir>/<b1>/<b2> has.
func maxBucket(st *store.Store, dir string) (int, error) {
	b1s, err := st.Children(dir)
	if err != nil {
		return 0, err
	}
	most := 0
	for _, b1 := range b1s {
		b2s, err := st.Children(dir + "/" + b1)
		if err != nil {
			continue // pruned meanwhile
		}
		for _, b2 := range b2s {
			if ok, stat, err := st.Exists(dir + "/" + b1 + "/" + b2); err == nil && ok {
				most = max(most, int(stat.NumChildren))
			}
		}
	}
	return most, nil
}

// queueDepth sums drover_queue_depth from a scheduler's metrics.
// scraper reads the scheduler's metrics; a scrape that hangs fails, and
// the wait tries again.
var scraper = &http.Client{Timeout: 10 * time.Second}

func queueDepth(url string) (int, error) {
	resp, err := scraper.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "drover_queue_depth{") {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				return 0, err
			}
			n += int(v)
		}
	}
	return n, sc.Err()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// procPeakRSSMB reads a process's peak resident set size.
func procPeakRSSMB(pid int) float64 {
	return vmHWM(fmt.Sprintf("/proc/%d/status", pid))
}

func vmHWM(status string) float64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
