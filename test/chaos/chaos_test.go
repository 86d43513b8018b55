// Package chaos is Drover's fault-injection suite: a 3-server ZooKeeper ensemble,
// three schedulers and three workers as real processes, thousands of tasks, and
// crashes, pauses and outages injected while they run, cron schedules firing
// and workers cordoned and uncordoned meanwhile. A checker then proves promises 1-4 of the design: nothing lost, no
// attempt run twice, no stale write, one leader per epoch, nothing left behind,
// each schedule's slot run once or skipped as its policies say
// (schedules_test.go).
//
// `go test ./test/chaos` runs the short mode (part of `make test`);
// `make chaos` runs the full mode.
package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

var (
	full     = flag.Bool("chaos.full", false, "full mode: more tasks and every fault, repeatedly")
	tasksN   = flag.Int("chaos.tasks", 0, "tasks to submit (default 300 short, 5000 full)")
	seedFlag = flag.Uint64("chaos.seed", 0, "random seed (default: time)")
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testMain(m))
}

// raceBuild says the test is built with -race, and so the drover binary is.
var raceBuild bool

func testMain(m *testing.M) int {
	// The drover processes inherit this environment: a caller's
	// DROVER_CONFIG, DROVER_ZK_AUTH or DROVER_ZK is not the cluster's
	// (DROVER_ZK_CLASSPATH, where ZooKeeper is installed, stays).
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DROVER_") && k != "DROVER_ZK_CLASSPATH" {
			os.Unsetenv(k)
		}
	}
	dir, err := os.MkdirTemp("", "drover-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "drover")
	args := []string{"build", "-o", binary}
	if raceBuild {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "../../cmd/drover")...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build drover: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// fault is one injected failure; it returns the failover time it caused (0 when
// it did not concern the leader) and an error when the cluster did not recover.
type fault struct {
	name string
	run  func(c *cluster) (time.Duration, error)
}

// faults returns the faults to inject; rng picks their targets (a worker, a
// ZooKeeper server), so that a seed names the targets as well as the order.
func faults(session time.Duration, rng *rand.Rand) []fault {
	pause := session + 2*time.Second
	pick := func(names []string) string { return names[rng.IntN(len(names))] }
	return []fault{
		{"kill -9 leader", func(c *cluster) (time.Duration, error) {
			p := c.leaderProc()
			if p == nil {
				return 0, fmt.Errorf("no leader")
			}
			start := time.Now()
			c.kill9(p)
			d, err := c.waitNewLeader(p.name, start, 4*session+10*time.Second)
			c.start(p.name) // it rejoins as a standby
			return d, err
		}},
		{"SIGSTOP leader past its session", func(c *cluster) (time.Duration, error) {
			p := c.leaderProc()
			if p == nil {
				return 0, fmt.Errorf("no leader")
			}
			start := time.Now()
			c.signal(p, syscall.SIGSTOP)
			d, err := c.waitNewLeader(p.name, start, 4*session+10*time.Second)
			if rest := pause - time.Since(start); rest > 0 {
				time.Sleep(rest) // keep the zombie paused past its session
			}
			c.signal(p, syscall.SIGCONT)
			return d, err
		}},
		{"kill -9 worker", func(c *cluster) (time.Duration, error) {
			p := c.proc(pick(c.names("worker-")))
			c.t.Logf("fault target %s", p.name)
			c.kill9(p)
			c.start(p.name)
			return 0, nil
		}},
		{"SIGTERM the prefetching worker (drain)", func(c *cluster) (time.Duration, error) {
			// worker-2 has a prefetch: what waits there goes back to the
			// queue, what runs finishes, within its 5 s drain.
			p := c.proc("worker-2")
			c.t.Logf("fault target %s", p.name)
			c.signal(p, syscall.SIGTERM)
			p.mu.Lock()
			exited := p.exited
			p.mu.Unlock()
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				c.kill9(p)
				c.start(p.name)
				return 0, fmt.Errorf("%s still running 30 s after SIGTERM (drain timeout 5 s)", p.name)
			}
			c.start(p.name)
			return 0, nil
		}},
		{"SIGSTOP worker past its session", func(c *cluster) (time.Duration, error) {
			p := c.proc(pick(c.names("worker-")))
			c.t.Logf("fault target %s", p.name)
			c.signal(p, syscall.SIGSTOP)
			time.Sleep(pause)
			c.signal(p, syscall.SIGCONT)
			return 0, nil
		}},
		{"partition leader past its session", func(c *cluster) (time.Duration, error) {
			p := c.leaderProc()
			if p == nil {
				return 0, fmt.Errorf("no leader")
			}
			start := time.Now()
			c.partition(p, true)
			d, err := c.waitNewLeader(p.name, start, 4*session+10*time.Second)
			if rest := pause - time.Since(start); rest > 0 {
				time.Sleep(rest) // keep it cut off past its session
			}
			c.partition(p, false)
			return d, err
		}},
		{"partition worker past its session", func(c *cluster) (time.Duration, error) {
			p := c.proc(pick(c.names("worker-")))
			c.t.Logf("fault target %s", p.name)
			c.partition(p, true)
			time.Sleep(pause)
			c.partition(p, false)
			return 0, nil
		}},
		{"restart one ZooKeeper server", func(c *cluster) (time.Duration, error) {
			i := rng.IntN(len(c.ens.Servers()))
			c.t.Logf("fault target ZooKeeper server %d", i)
			if err := c.ens.Servers()[i].Halt(); err != nil {
				return 0, err
			}
			time.Sleep(session)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			return 0, c.ens.Restart(ctx, i)
		}},
		{"restart all ZooKeeper servers", func(c *cluster) (time.Duration, error) {
			for _, s := range c.ens.Servers() {
				if err := s.Halt(); err != nil {
					return 0, err
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			for i := range c.ens.Servers() {
				if err := c.ens.Servers()[i].Restart(ctx); err != nil {
					return 0, err
				}
			}
			return 0, c.ens.WaitReady(ctx)
		}},
	}
}

func TestChaos(t *testing.T) { runChaos(t, faults) }

// runChaos runs the suite with the faults that faultsOf returns.
func runChaos(t *testing.T, faultsOf func(time.Duration, *rand.Rand) []fault) {
	n, rounds, session := 300, 1, 3*time.Second
	if *full {
		n, rounds = 5000, 3
	}
	if *tasksN > 0 {
		n = *tasksN
	}
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	c := newCluster(t, binary, session)
	for i := 1; i <= 3; i++ {
		c.start(fmt.Sprintf("scheduler-%d", i), "scheduler", "--id", fmt.Sprintf("scheduler-%d", i), "--timeout-grace", "10s")
	}
	for i := 1; i <= 3; i++ {
		args := []string{"worker", "--id", fmt.Sprintf("worker-%d", i), "--capacity", "8", "--drain-timeout", "5s"}
		if i == 2 {
			// One with a prefetch: its waiting assignments go through
			// the faults too.
			args = append(args, "--prefetch", "8")
		}
		c.start(fmt.Sprintf("worker-%d", i), args...)
	}
	// The first fault may concern the leader: wait for one (a race build's
	// processes take a while to start and join the election).
	if _, err := c.waitNewLeader("", time.Now(), 4*session+30*time.Second); err != nil {
		t.Fatalf("first election: %v", err)
	}

	// Schedules fire every second or two while the faults run (checkSchedules).
	schedlog := filepath.Join(c.dir, "schedules.log")
	scheds := addSchedules(t, c, schedlog)

	// Each task records (task, attempt, worker) when it runs, then works a little.
	runlog := filepath.Join(c.dir, "runs.log")
	specs := make([]client.TaskSpec, n)
	for i := range specs {
		ms := 300 + rng.IntN(1200)
		if *full {
			ms = 20 + rng.IntN(300)
		}
		specs[i] = client.TaskSpec{Shell: true, Key: fmt.Sprintf("chaos-%d-%d", seed, i), Cmd: []string{fmt.Sprintf(
			`echo "$DROVER_TASK_ID $DROVER_ATTEMPT $DROVER_WORKER_ID" >> %s; echo "attempt $DROVER_ATTEMPT"; sleep %d.%03d`, runlog, ms/1000, ms%1000)}}
		switch i % 10 {
		case 0:
			// Fails once, by its retries left (a loss does not count):
			// had a failure not counted, or one counted twice, it would
			// fail again, or end dead. Its own backoff and a code not
			// retried (one it never exits with) must survive every
			// rewrite of its record (checked below).
			specs[i].Cmd[0] += `; [ "$DROVER_RETRIES_LEFT" != 2 ] || exit 3`
			specs[i].Retries, specs[i].Backoff, specs[i].NoRetryExit = 2, 100*time.Millisecond, []int{4}
		case 5:
			// Bound to start within an hour: not prefetched, held in
			// the leader's heap across takeovers, never cancelled here.
			specs[i].StartingDeadline = time.Hour
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	// Submit in waves while faults are injected. A wave whose outcome is unknown
	// (ZooKeeper down) is sent again: idempotency keys make that safe, and a task
	// counts as acknowledged once a Submit call returned its id.
	// The targets draw from a stream of their own, so that the order, the
	// pauses and the tasks of a seed stay what they were before targets were
	// drawn from it.
	fs := faultsOf(session, rand.New(rand.NewPCG(seed, seed+1)))
	waves := 10 * rounds
	wave := (n + waves - 1) / waves
	submitted := make(chan []string, 1)
	acked := &ackedIDs{} // so far, for the followers
	go func() {
		var ids []string
		for start := 0; start < n; start += wave {
			chunk := specs[start:min(start+wave, n)]
			for j := range chunk {
				if (start+j)%10 == 7 && start >= wave {
					// Runs after a task of the wave before: held by the
					// leader until that one succeeded, across takeovers
					// (checked below by their times).
					chunk[j].After = []string{ids[start+j-wave]}
				}
			}
			for {
				res, err := c.client.Submit(ctx, chunk)
				if err == nil {
					for _, r := range res {
						ids = append(ids, r.ID)
						acked.add(r.ID)
					}
					break
				}
				if ctx.Err() != nil {
					break
				}
				t.Logf("submit wave at %d: %v (retrying)", start, err)
				time.Sleep(200 * time.Millisecond)
			}
			time.Sleep(time.Duration(len(fs)) * 3 * time.Second / time.Duration(10))
		}
		submitted <- ids
	}()

	// Cordons come and go while the faults run, one worker at a time, so
	// that takeovers, partitions and ZooKeeper restarts meet them: the
	// promises checked below hold through them, and none is left.
	churnCtx, stopChurn := context.WithCancel(ctx)
	churned := make(chan int, 1)
	go func() { churned <- churnCordons(churnCtx, t, c, rand.New(rand.NewPCG(seed+2, seed+3))) }()
	// So do followers (drover logs -f), a task at a time: none may be left
	// in follow/ once they stop.
	followed := make(chan [2]int, 1)
	go func() { followed <- churnFollowers(churnCtx, t, c, acked, rand.New(rand.NewPCG(seed+4, seed+5))) }()
	// And schedule updates (schedule add --update) of their templates.
	updates := make(chan int, 1)
	go func() {
		updates <- churnScheduleUpdates(churnCtx, t, c, scheds, schedlog, rand.New(rand.NewPCG(seed+6, seed+7)))
	}()

	// Inject faults while the queue fills and drains.
	var maxFailover time.Duration
	injected := 0
	for round := 0; round < rounds; round++ {
		order := rng.Perm(len(fs))
		for _, i := range order {
			f := fs[i]
			time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
			start := time.Now()
			d, err := f.run(c)
			if err != nil {
				t.Errorf("fault %q: %v", f.name, err)
			}
			injected++
			maxFailover = max(maxFailover, d)
			t.Logf("fault %-34s took %v (failover %v)", f.name, time.Since(start).Round(time.Millisecond), d.Round(time.Millisecond))
		}
	}
	stopChurn()
	t.Logf("schedule updates while the faults ran: %d", <-updates)
	if f := <-followed; f[0] > 0 {
		t.Logf("tasks followed while the faults ran: %d, %d of them with output", f[0], f[1])
		left := func() []string {
			names, err := c.st.Children(c.st.Layout().Follow())
			if err != nil {
				return []string{err.Error()}
			}
			return names
		}
		if !drovertest.Eventually(time.Minute, func() bool { return len(left()) == 0 }) {
			t.Errorf("follow znodes left a minute after the followers stopped: %v", left())
		}
	}
	if set := <-churned; set > 0 {
		t.Logf("cordons set and lifted while the faults ran: %d", set)
		seen := false
		for _, path := range c.logs("scheduler-") {
			data, err := os.ReadFile(path)
			seen = seen || err == nil && strings.Contains(string(data), `"message":"worker cordoned`)
		}
		if !seen {
			t.Errorf("%d cordons set, and no leader logged one", set)
		}
	}
	pauseSchedules(t, c, scheds)
	ids := <-submitted
	if len(ids) != n {
		t.Errorf("only %d of %d tasks acknowledged", len(ids), n)
	}

	// Every acknowledged task ends, exactly once.
	lost := 0
	results := make(map[string]*store.Task, len(ids))
	for _, id := range ids {
		r, err := c.client.Wait(ctx, id)
		if err != nil {
			t.Errorf("task %s: %v", id, err)
			lost++
			continue
		}
		results[id] = r
		if r.State != store.StateSucceeded {
			t.Errorf("task %s ended %s: %s", id, r.State, r.Error)
		}
		if r.Retries != 2 {
			continue
		}
		failed := 0 // its History holds the attempt that succeeded too
		for _, h := range r.History {
			if h.ExitCode == 3 && !h.Lost {
				failed++
			}
		}
		if r.Backoff != store.MillisOf(100*time.Millisecond) || len(r.NoRetryExit) != 1 || failed != 1 {
			t.Errorf("task %s, to fail once by its retries left: backoff %v, no_retry_exit %v, %d failures; want 100ms, [4], 1",
				id, r.Backoff.Duration(), r.NoRetryExit, failed)
		}
	}
	// A task after another started only once that one had succeeded.
	after := 0
	for id, r := range results {
		for _, dep := range r.After {
			after++
			d := results[dep]
			if d == nil {
				t.Errorf("task %s ran after %s, which is not among the results", id, dep)
				continue
			}
			if first := firstRan(r); first.Before(d.FinishedAt) {
				t.Errorf("task %s started at %v, before %s, which it runs after, ended at %v",
					id, first.Format(time.StampMicro), dep, d.FinishedAt.Format(time.StampMicro))
			}
		}
	}
	t.Logf("chaos: %d tasks ran after another", after)
	runs := readRuns(t, runlog)
	dup := 0
	var suspects []string // task ids whose story the logs should tell on failure
	for k, n := range runs {
		if n > 1 {
			dup++
			t.Errorf("attempt %s ran %d times", k, n)
			suspects = append(suspects, strings.Fields(k)[0])
		}
	}
	// An attempt number is placed once: every way back to the queue (a
	// failure, a lost worker, an overdue withdrawal) counts on. So the same
	// attempt on two workers ran twice too, which the count above, by
	// worker, does not see.
	for k, who := range workersByAttempt(runs) {
		if len(who) > 1 {
			dup++
			t.Errorf("attempt %s ran on %d workers: %v", k, len(who), who)
			suspects = append(suspects, strings.Fields(k)[0])
		}
	}
	// A result must come from an attempt that really ran on the worker it names:
	// anything else was written by someone who no longer held the assignment.
	// Nor may a later attempt have run: attempt n+1 is queued only by
	// withdrawing attempt n, which its report then cannot outlive.
	stale := 0
	last := lastAttempts(runs)
	for id, r := range results {
		key := fmt.Sprintf("%s %d %s", id, r.Attempt, r.Worker)
		switch {
		case runs[key] == 0:
			stale++
			t.Errorf("result of %s names attempt %d on %s, which never ran there", id, r.Attempt, r.Worker)
			suspects = append(suspects, id)
		case last[id] > r.Attempt:
			stale++
			t.Errorf("result of %s names attempt %d on %s, but attempt %d ran", id, r.Attempt, r.Worker, last[id])
			suspects = append(suspects, id)
		}
	}
	// An attempt that ended unstarted (handed back by a drain, or its
	// worker lost before its running mark) must not have run anywhere.
	ran := map[string]bool{}
	for k := range runs {
		f := strings.Fields(k)
		ran[f[0]+" "+f[1]] = true
	}
	unstarted := 0
	for id, r := range results {
		for _, h := range r.History {
			if !h.Unstarted {
				continue
			}
			unstarted++
			if ran[fmt.Sprintf("%s %d", id, h.N)] {
				stale++
				t.Errorf("attempt %d of %s ran, but its history says it never started (on %s)", h.N, id, h.Worker)
				suspects = append(suspects, id)
			}
		}
	}
	t.Logf("chaos: %d attempts ended unstarted (handed back by a drain, or their worker lost first)", unstarted)
	sched := checkSchedules(ctx, t, c, scheds, schedlog)
	checkNothingLeft(t, c)
	epochs := checkEpochs(t, c)
	checkNoRace(t, c)

	rerun := 0
	for _, r := range results {
		if r.Attempt > 1 {
			rerun++
		}
	}
	summary := fmt.Sprintf("chaos: %d tasks, %d faults, %d lost, %d duplicate attempts, %d stale writes, %d re-run, %d epochs, max failover %v",
		len(ids), injected, lost, dup, stale, rerun, epochs, maxFailover.Round(100*time.Millisecond))
	fmt.Println(summary)
	t.Log(summary)
	summary = fmt.Sprintf("chaos: %d schedules, %d slots: %d ran (%d re-run), %d missed, %d skipped (forbid), %d replaced by a newer slot, %d not started by the deadline; %d schedule errors, %d forbid runs beside a lost attempt",
		len(scheds), sched.slots, sched.ran, sched.rerun, sched.missed, sched.skipped, sched.replaced, sched.notStarted, sched.errors, sched.zombies)
	fmt.Println(summary)
	t.Log(summary)
	if t.Failed() {
		for _, f := range append(c.logs("scheduler-"), c.logs("worker-")...) {
			data, _ := os.ReadFile(f)
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) > 30 {
				lines = lines[len(lines)-30:]
			}
			t.Logf("%s:\n%s", filepath.Base(f), strings.Join(lines, "\n"))
			for _, id := range suspects {
				var about []string
				for _, line := range strings.Split(string(data), "\n") {
					if strings.Contains(line, id) {
						about = append(about, line)
					}
				}
				t.Logf("%s, lines about %s:\n%s", filepath.Base(f), id, strings.Join(about, "\n"))
			}
		}
	}
}

// readRuns counts how often each "task attempt worker" line was written.
// churnCordons cordons a worker at a time for a second or three, then lifts
// the cordon, until ctx ends; then it lifts the last one, retrying while
// ZooKeeper is away, and fails the test if one is left. It returns how
// many cordons it set.
func churnCordons(ctx context.Context, t *testing.T, c *cluster, rng *rand.Rand) int {
	pause := func() <-chan time.Time { return time.After(time.Duration(1000+rng.IntN(2000)) * time.Millisecond) }
	set := 0
	workers := c.names("worker-")
	for ctx.Err() == nil {
		id := workers[rng.IntN(len(workers))]
		if _, err := c.client.CordonWorker(context.Background(), id, "chaos"); err != nil {
			t.Logf("cordon %s: %v", id, err)
		} else {
			set++
		}
		select {
		case <-ctx.Done():
		case <-pause():
		}
		uncordonAll(t, c, 2*time.Minute) // before the next: one at a time
		select {
		case <-ctx.Done():
		case <-pause():
		}
	}
	return set
}

// ackedIDs are the task ids acknowledged so far.
type ackedIDs struct {
	mu  sync.Mutex
	ids []string
}

func (a *ackedIDs) add(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = append(a.ids, id)
}

// pick returns one at random ("" before the first).
func (a *ackedIDs) pick(rng *rand.Rand) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.ids) == 0 {
		return ""
	}
	return a.ids[rng.IntN(len(a.ids))]
}

// churnFollowers follows one acknowledged task at a time, each for up to
// two seconds (client.Follow, as drover logs -f), until ctx ends. It
// returns how many it followed and how many of those showed output.
func churnFollowers(ctx context.Context, t *testing.T, c *cluster, acked *ackedIDs, rng *rand.Rand) [2]int {
	var n [2]int
	for ctx.Err() == nil {
		if id := acked.pick(rng); id != "" {
			fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			got := false
			_, err := c.client.Follow(fctx, id, func(o *store.LiveOutput) { got = got || o.StdoutBytes > 0 })
			cancel()
			if err != nil && fctx.Err() == nil {
				t.Logf("follow %s: %v", id, err) // ZooKeeper away, say: the fault's
			}
			n[0]++
			if got {
				n[1]++
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(200+rng.IntN(800)) * time.Millisecond):
		}
	}
	return n
}

// uncordonAll lifts every cordon, trying again every 200 ms while ZooKeeper
// is away (a fault may have it down), for up to limit.
func uncordonAll(t *testing.T, c *cluster, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		cordons, _, err := c.client.Cordons(context.Background())
		if err == nil && len(cordons) == 0 {
			return
		}
		for id := range cordons {
			if _, err = c.client.UncordonWorker(context.Background(), id); err != nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("cordons left after %v: %v (%v)", limit, slices.Collect(maps.Keys(cordons)), err)
			return
		}
		time.Sleep(200 * time.Millisecond) // ZooKeeper away: the retry's cadence
	}
}

func readRuns(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runs := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		runs[strings.TrimSpace(sc.Text())]++
	}
	return runs
}

// workersByAttempt groups the "task attempt worker" lines by "task attempt".
func workersByAttempt(runs map[string]int) map[string][]string {
	out := map[string][]string{}
	for k := range runs {
		f := strings.Fields(k)
		if len(f) != 3 {
			continue
		}
		a := f[0] + " " + f[1]
		out[a] = append(out[a], f[2])
	}
	return out
}

// lastAttempts returns the highest attempt of each task that ran.
func lastAttempts(runs map[string]int) map[string]int {
	out := map[string]int{}
	for k := range runs {
		f := strings.Fields(k)
		if len(f) != 3 {
			continue
		}
		if n, err := strconv.Atoi(f[1]); err == nil {
			out[f[0]] = max(out[f[0]], n)
		}
	}
	return out
}

// checkNothingLeft fails when assignments or queued tasks remain after the drain.
func checkNothingLeft(t *testing.T, c *cluster) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		left, err := c.st.Assignments()
		queued, qerr := c.client.List(context.Background(), store.StateQueued, 10)
		if err == nil && qerr == nil && len(left) == 0 && len(queued) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("left behind after the drain: %d assignments (%v), %d queued (%v)", len(left), err, len(queued), qerr)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkEpochs reads the schedulers' logs and fails when two schedulers were
// elected, or placed work, in the same epoch, or when a leader's placement
// committed after a later epoch began (by zxid: the fence promises a
// deposed leader writes nothing once its successor leads). It returns the
// number of epochs.
func checkEpochs(t *testing.T, c *cluster) int {
	t.Helper()
	leaders := map[int64]map[string]bool{}
	began := map[int64]int64{} // epoch -> the zxid of its bump
	type placement struct{ epoch, zxid int64 }
	var placed []placement
	for _, f := range c.logs("scheduler-") {
		file, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Message string `json:"message"`
				Leader  string `json:"leader"`
				Epoch   int64  `json:"epoch"`
				Zxid    int64  `json:"zxid"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil || line.Epoch == 0 || line.Leader == "" {
				continue
			}
			if line.Message != "elected leader" && line.Message != "placed" {
				continue
			}
			if leaders[line.Epoch] == nil {
				leaders[line.Epoch] = map[string]bool{}
			}
			leaders[line.Epoch][line.Leader] = true
			switch {
			case line.Zxid == 0:
			case line.Message == "elected leader":
				began[line.Epoch] = line.Zxid
			default:
				placed = append(placed, placement{line.Epoch, line.Zxid})
			}
		}
		file.Close()
	}
	for e, who := range leaders {
		if len(who) > 1 {
			t.Errorf("epoch %d had %d leaders: %v", e, len(who), who)
		}
	}
	// The earliest start of any later epoch, for each epoch.
	epochs := slices.Sorted(maps.Keys(began))
	nextStart := map[int64]int64{}
	first := int64(math.MaxInt64)
	for i := len(epochs) - 1; i >= 0; i-- {
		nextStart[epochs[i]] = first
		first = min(first, began[epochs[i]])
	}
	late := 0
	for _, p := range placed {
		next, ok := nextStart[p.epoch]
		if ok && p.zxid > next {
			if late++; late <= 5 {
				t.Errorf("a placement of epoch %d committed at zxid %#x, after a later epoch began at %#x", p.epoch, p.zxid, next)
			}
		}
	}
	if late > 5 {
		t.Errorf("%d placements in all committed after a later epoch began", late)
	}
	t.Logf("%d placements checked against the starts of %d epochs", len(placed), len(began))
	return len(leaders)
}

// checkNoRace fails the run for each process log with a data race report in
// it (a race-built binary reports each race and runs on).
func checkNoRace(t *testing.T, c *cluster) {
	t.Helper()
	for _, f := range append(c.logs("scheduler-"), c.logs("worker-")...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("read %s: %v", filepath.Base(f), err)
			continue
		}
		if i := strings.Index(string(data), "WARNING: DATA RACE"); i >= 0 {
			report := string(data[i:])
			if end := strings.Index(report, "=================="); end > 0 {
				report = report[:end]
			}
			t.Errorf("%s: a data race:\n%s", filepath.Base(f), report)
		}
	}
}

// firstRan is when r's first attempt that started did, by its worker's
// clock.
func firstRan(r *store.Task) time.Time {
	for _, h := range r.History {
		if !h.StartedAt.IsZero() {
			return h.StartedAt
		}
	}
	return r.StartedAt
}
