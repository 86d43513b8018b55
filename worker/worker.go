// Package worker registers a worker in ZooKeeper, watches its own assignment
// directory, runs each assigned attempt (a command as a process, a handler's
// task as a call of its Go Handler) and reports the outcome in a transaction
// that only succeeds while the assignment is still its own.
package worker

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"os"
	"os/user"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/latency"
	"github.com/drover-sched/drover/store"
)

// Config configures a worker. Zero values mean the documented defaults.
type Config struct {
	// ID names the worker (required); it is its registration znode's name.
	ID    string
	Store *store.Store
	// Labels are matched against tasks' required labels (--on k=v).
	Labels map[string]string
	// Capacity is how many attempts run here at once; default 4.
	Capacity int
	// Prefetch is how many more assignments than Capacity the leader may
	// place here, of tasks with no timeout and no starting deadline: they
	// wait here, assigned, for a slot (in the queue's order: high priority
	// first, then by task id), so that a slot that frees is taken at once instead of
	// after the leader has heard of it and placed again (some ZooKeeper
	// round trips). For many short tasks; a task prefetched behind long
	// ones waits for them while another worker may be idle. Default 0;
	// Capacity + Prefetch is at most store.MaxCapacity.
	Prefetch int
	Log      zerolog.Logger
	// Version is reported in the registration.
	Version string
	// Backoff spaces retries of attempts that failed here.
	Backoff Backoff
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OutputLimit is how much of stdout and of stderr is kept; default 64 KiB.
	OutputLimit int
	// DrainTimeout bounds how long Drain waits for running attempts before
	// killing them; default 30s.
	DrainTimeout time.Duration
	// Commands lets the worker run command tasks (argv, or a shell when a
	// task asks for one), as `drover worker` does. Without it the worker
	// runs only the Go handlers registered with Handle, and the leader
	// places no command task on it. A process whose worker runs commands
	// starts a copy of its own executable as a guard (a small process that
	// kills what the commands started, should the worker die), and up
	// to 16 goroutines, each on a thread of its own, that start commands:
	// every Worker of the process shares them, and they stay for the life of
	// the process, after Run returns too. The init functions of the
	// packages initialised before this one run in the guard too.
	Commands bool
	// Allow, when not empty, is the allow-list of programs commands may run:
	// glob patterns matched against the program's absolute path, or, for
	// patterns without '/', against a program given by name alone (as the
	// PATH finds it; never one in a directory the task names). Shell tasks
	// need /bin/sh allowed. The
	// registration carries it, and the leader places a command here only
	// when the list may admit its program (store.MayAllow). With a list, a
	// task may not set variables that make a program run other code (PATH,
	// LD_*, BASH_ENV, ...): such an attempt fails, exit 126.
	Allow []string
	// AllowEnv, when not empty, lists glob patterns (path.Match) that each
	// of a command task's variable names must match: an attempt that sets
	// another fails, exit 126 (a Go handler gets the env as data). The
	// list of unsafe variables above names those that run other code in
	// common programs, and cannot name them all; a worker that runs the
	// commands of people it does not trust needs this. With it, that list
	// no longer applies: what it admits is the operator's to choose
	// (GIT_AUTHOR_NAME, say), so list no name that runs code.
	AllowEnv []string
	// CleanEnv runs commands without the worker's own environment.
	CleanEnv bool
	// RunAs is a user to run commands as (the worker must run as root).
	RunAs string
}

// retryDelay is how long done, whose last attempt (in its History) failed or
// was lost for want of the worker's resources, waits before its next: by its
// failures, or by its losses since a retry forgave those before.
func retryDelay(b Backoff, done *store.Task, hostFault bool) time.Duration {
	if hostFault {
		return b.Delay(done.UnforgivenLosses()) // the worker's fault: its pace
	}
	return b.For(done).Delay(done.Failures())
}

// Backoff is the delay before a failed attempt's retry (store.Backoff: the
// leader spaces the retries of attempts it withdraws with the same rule).
type Backoff = store.Backoff

// defaultCapacity is Config.Capacity's default.
const defaultCapacity = 4

// Worker runs the attempts the leader assigns to it.
type Worker struct {
	cfg        Config
	log        zerolog.Logger
	st         *store.Store
	lay        store.Layout
	registered chan struct{}
	regOnce    sync.Once
	running    atomic.Int32
	// executing counts attempts between start and outcome: unlike running it
	// excludes reads and reports, so it is what capacity bounds.
	executing atomic.Int32
	reg       atomic.Int64
	drain     chan struct{}
	drainOnce sync.Once
	// wake is signalled whenever an attempt ends, so a draining worker notices
	// it has become idle.
	wake chan struct{}
	// slots holds the attempts to Capacity; prefetched assignments wait
	// there. The Worker's, one for all its registrations in turn (a
	// registration's serve waits for its attempts to end).
	slots  *slots
	policy policy
	// batch group-commits the running marks and reports of this registration.
	batch *batcher
	// mu guards handlers and active: Handle writes the map only while no
	// Run runs, and Run's serve reads it without the lock.
	mu sync.Mutex
	// handlers are the Go handlers registered with Handle, by name.
	handlers map[string]Handler
	// active is set while Run runs.
	active bool
	// token is random, one per Worker, and carried by its registrations
	// (store.WorkerInfo.Token): another Worker of the same id on the same
	// Store shares its session, and its registration is not this one's.
	token string
	// reported counts attempts whose outcome this worker posted, and
	// outcomes how many of them made their task each Outcome.
	reported atomic.Int64
	outcomes [len(Outcomes)]atomic.Int64
	// started counts attempts started; killed, those killed unreported
	// (withdrawn, the session lost or cut off, a drain's deadline, Run's
	// end); unreported, those that ended but whose outcome was not posted
	// (withdrawn meanwhile, the session lost, a write refused).
	started, killed, unreported atomic.Int64
	// handedBack counts assignments given back to the queue unstarted by
	// a drain (see handBack).
	handedBack atomic.Int64
	// abandoned counts the handlers abandoned whose goroutines still run
	// (runHandler).
	abandoned atomic.Int64
	// slotWait records how long each assignment that goes on to its
	// running mark waited for its slot (a prefetched one, behind what
	// runs; about 0 for one that found a slot free).
	slotWait latency.Recorder
	// serving is set while a registration of this worker serves.
	serving atomic.Bool
	// draining is set once a drain has begun.
	draining atomic.Bool
	// listings counts the listings of its directory that serve has acted
	// on: a test knows the worker is waiting for the next change.
	listings atomic.Int64
	// live holds the running attempts' output (a command's streams, a
	// handler's Log) for followers (follow.go).
	live *liveRuns
}

// Reported is the number of attempts whose outcome this worker has posted.
func (w *Worker) Reported() int64 { return w.reported.Load() }

// New validates cfg and returns a worker; Run starts it.
func New(cfg Config) (*Worker, error) {
	if cfg.Store == nil {
		return nil, errors.New("worker: no store")
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = defaultCapacity
	}
	if err := CheckConfig(cfg); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OutputLimit <= 0 {
		cfg.OutputLimit = store.OutputTail
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	pol := policy{allow: cfg.Allow, allowEnv: cfg.AllowEnv, cleanEnv: cfg.CleanEnv}
	if cfg.RunAs != "" {
		cred, err := credentialOf(cfg.RunAs)
		if err != nil {
			return nil, err
		}
		pol.cred = cred
	}
	return &Worker{
		policy: pol,
		cfg:    cfg, st: cfg.Store, lay: cfg.Store.Layout(), registered: make(chan struct{}),
		drain: make(chan struct{}), wake: make(chan struct{}, 1), slots: newSlots(cfg.Capacity),
		log:   cfg.Log.With().Str("worker_id", cfg.ID).Logger(),
		token: rand.Text(),
		live:  newLiveRuns(),
	}, nil
}

// CheckConfig makes New's checks that need no ZooKeeper (id, labels,
// capacity, allow patterns, run-as user), so a command line can be refused
// before connecting. A zero Capacity is checked as New's default.
func CheckConfig(cfg Config) error {
	if err := store.ValidateNodeName(cfg.ID); err != nil {
		return fmt.Errorf("worker id: %w", err)
	}
	for k, v := range cfg.Labels {
		if err := store.ValidateName(k); err != nil {
			return fmt.Errorf("label %q: %w", k, err)
		}
		if err := store.ValidateName(v); err != nil {
			return fmt.Errorf("label %s=%q: %w", k, v, err)
		}
	}
	if n := store.LabelBytes(cfg.Labels); n > store.MaxWorkerLabelBytes {
		// Its registration must fit a record: past it, Run never
		// registered and tried again every few seconds for ever.
		return fmt.Errorf("labels of %d bytes in all: at most %d", n, store.MaxWorkerLabelBytes)
	}
	if cfg.Capacity < 0 || cfg.Capacity > store.MaxCapacity {
		return fmt.Errorf("capacity %d: want 1 to %d", cfg.Capacity, store.MaxCapacity)
	}
	capacity := cfg.Capacity
	if capacity == 0 {
		capacity = defaultCapacity
	}
	if cfg.Prefetch < 0 || cfg.Prefetch > store.MaxCapacity-capacity {
		return fmt.Errorf("prefetch %d: want 0 to %d (capacity and prefetch together at most %d)", cfg.Prefetch, store.MaxCapacity-capacity, store.MaxCapacity)
	}
	for _, list := range []struct {
		name, matches string
		patterns      []string
	}{{"allow", "program", cfg.Allow}, {"allow-env", "variable name", cfg.AllowEnv}} {
		if n := store.AllowBytes(list.patterns); n > store.MaxAllowBytes {
			return fmt.Errorf("%s patterns of %d bytes in all: at most %d", list.name, n, store.MaxAllowBytes)
		}
		for _, p := range list.patterns {
			// An empty pattern matches no program (nor variable name): the
			// leader would place no command on the worker (or every task
			// with a variable would fail), most likely from an unset
			// shell variable (--allow "$PROGS").
			if p == "" {
				return fmt.Errorf("%s pattern \"\": an empty pattern matches no %s", list.name, list.matches)
			}
			if len(p) > store.MaxAllowPattern {
				return fmt.Errorf("%s pattern of %d bytes: at most %d", list.name, len(p), store.MaxAllowPattern)
			}
			// The registration is JSON, which writes each byte of invalid
			// UTF-8 as U+FFFD: the leader would match another pattern,
			// longer (past the limit, the registration is malformed).
			if !utf8.ValidString(p) {
				return fmt.Errorf("%s pattern %q: not valid UTF-8", list.name, p)
			}
			if _, err := path.Match(p, ""); err != nil {
				return fmt.Errorf("%s pattern %q: %w", list.name, p, err)
			}
			// A program pattern with '/' matches the absolute path the
			// worker resolves: a relative one (./x.sh) matches nothing,
			// while the leader still placed ./x.sh tasks here, each to fail.
			if list.name == "allow" && strings.Contains(p, "/") && (!path.IsAbs(p) || path.Clean(p) != p) {
				return fmt.Errorf("allow pattern %q: a pattern with '/' matches the program's absolute path, cleaned: give one (/opt/jobs/x.sh; no //, /./ or /../), or a name alone (x.sh)", p)
			}
			if list.name == "allow-env" && !envPattern(p) {
				return fmt.Errorf("allow-env pattern %q: no variable name (letters, digits and _, not starting with a digit) can match it", p)
			}
		}
	}
	if cfg.RunAs != "" {
		if _, err := credentialOf(cfg.RunAs); err != nil {
			return err
		}
	}
	// Each part within its bound, the whole must still fit a record as
	// JSON writes it (<, > and & take six bytes each), from a host of the
	// longest name: else Run cannot register.
	cfg.Capacity = capacity
	info := registrationOf(cfg, strings.Repeat("h", 255), math.MaxInt32, time.Now(), nil, rand.Text())
	if err := fitsMarked(info); err != nil {
		return fmt.Errorf("labels and allow-lists together: %w", err)
	}
	return nil
}

// registrationOf is the registration a worker of cfg writes, from host
// and pid, started at started, with its handlers and token.
func registrationOf(cfg Config, host string, pid int, started time.Time, handlers []string, token string) store.WorkerInfo {
	return store.WorkerInfo{ID: cfg.ID, Host: host, PID: pid, Labels: cfg.Labels,
		Capacity: cfg.Capacity, Prefetch: cfg.Prefetch, Version: cfg.Version, StartedAt: started.UTC(), Handlers: handlers,
		NoCommands: !cfg.Commands, Allow: cfg.Allow, AllowEnv: cfg.AllowEnv, EnvRule: true, Token: token}
}

// fitsMarked says whether registration info fits a record once marked
// draining (the mark only adds to it): else a drain could not write its
// mark, and would take new work to its deadline.
func fitsMarked(info store.WorkerInfo) error {
	info.Draining = true
	_, err := store.Encode(&info)
	return err
}

// envPattern reports whether glob pattern p may match a variable name:
// its characters outside bracket expressions are name characters or glob
// operators, and it does not start with a digit. (JOB-* matched nothing,
// and every task that set a variable failed, exit 126.)
func envPattern(p string) bool {
	if p[0] >= '0' && p[0] <= '9' {
		return false
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 0 {
				return false
			}
			i += end + 1
		case c == '\\':
			i++ // an escaped character: checked as itself next
			if i < len(p) && !store.ValidEnvName("A"+p[i:i+1]) {
				return false
			}
		case c == '*' || c == '?':
		case !store.ValidEnvName("A" + string(c)):
			return false
		}
	}
	return true
}

// Registered closes once the worker has registered for the first time.
func (w *Worker) Registered() <-chan struct{} { return w.registered }

// Running is the number of attempts running now.
func (w *Worker) Running() int { return int(w.running.Load()) }

// Outcomes are what an attempt whose outcome a worker posted made of its
// task: it succeeded; it went back to the queue ("retry": failed with
// retries left, or not started for want of the worker's resources, a
// loss); it failed for good; it ended dead (retries used up, or lost too
// often). Stats.Outcomes counts them in this order.
var Outcomes = [...]string{"succeeded", "retry", "failed", "dead"}

// outcomeOf is the index in Outcomes of a report that wrote done, or
// queued next (a retry).
func outcomeOf(done, next *store.Task) int {
	switch {
	case next != nil:
		return 1
	case done.State == store.StateSucceeded:
		return 0
	case done.State == store.StateDead:
		return 3
	}
	return 2
}

// Stats is what a worker has done, for its metrics.
type Stats struct {
	Capacity, Prefetch int
	// Executing counts the attempts running now (between start and outcome).
	Executing int
	// Started counts attempts started; each then ends Reported (its
	// outcome posted), Killed (withdrawn, session lost or cut off, a
	// drain's deadline, Run's end: nothing posted) or Unreported (it ended,
	// but its outcome could not be posted: withdrawn meanwhile, session
	// lost, a write refused).
	Started, Reported, Killed, Unreported int64
	// Outcomes splits Reported by what each made of its task (see
	// Outcomes): failures to alert on.
	Outcomes [len(Outcomes)]int64
	// HandedBack counts assignments a drain gave back to the queue before
	// they started (prefetched ones waiting for a slot, and any placed
	// before the leader saw the drain).
	HandedBack int64
	// SlotWait is how long assignments waited for a slot on the worker,
	// from when it listed them to their running mark's turn: what the
	// leader's placement latency leaves out of a prefetched task's wait.
	SlotWait latency.Snapshot
	// Waiting is how many assignments wait for a slot now (prefetched).
	Waiting int
	// Registered: a registration of the worker serves now.
	Registered, Draining bool
	// GuardLosses counts the process's worker guards lost (see
	// Config.Commands).
	GuardLosses int64
	// LiveWrites counts the writes of followed attempts' output into
	// their follow znodes (drover logs -f).
	LiveWrites int64
	// Abandoned counts the handlers abandoned (they ignored the end of
	// their context: see Handler) whose goroutines still run.
	Abandoned int64
}

// Stats returns the worker's counters now.
func (w *Worker) Stats() Stats {
	var outcomes [len(Outcomes)]int64
	for i := range outcomes {
		outcomes[i] = w.outcomes[i].Load()
	}
	return Stats{Outcomes: outcomes, Capacity: w.cfg.Capacity, Prefetch: w.cfg.Prefetch, Executing: int(w.executing.Load()), Waiting: w.slots.waitingNow(), Started: w.started.Load(),
		Reported: w.reported.Load(), Killed: w.killed.Load(), Unreported: w.unreported.Load(), HandedBack: w.handedBack.Load(), SlotWait: w.slotWait.Snapshot(), Registered: w.serving.Load(),
		Draining: w.draining.Load(), GuardLosses: processGuard.losses.Load(), LiveWrites: w.live.written(), Abandoned: w.abandoned.Load()}
}

// Reg is the czxid of the current registration (0 before the first).
func (w *Worker) Reg() int64 { return w.reg.Load() }

// Version is the worker's release (Config.Version).
func (w *Worker) Version() string { return w.cfg.Version }

var (
	errSessionLost = errors.New("zookeeper session lost")
	// errUnfitRegistration: the registration cannot be encoded (too
	// large), and never will be; Run returns it.
	errUnfitRegistration = errors.New("registration cannot be written")
	// errCutOff: no contact with ZooKeeper until shortly before the server
	// would expire the session (watchCutOff). It has most likely expired by
	// the time the worker is back in touch, and its attempts run again
	// elsewhere: the worker stops them.
	errCutOff  = errors.New("cut off from zookeeper until its session may expire")
	errDrained = errors.New("drained")
	// errHandBack: the worker drains, and an assignment that has not
	// started goes back to the queue (handBack).
	errHandBack = errors.New("draining: handed back")
	// errRegistrationGone: the registration went while its session lives
	// (the leader moved it aside as malformed, or it was deleted by hand):
	// the leader places its attempts elsewhere, and the worker, stopping
	// them, registers again.
	errRegistrationGone = errors.New("registration gone while its session lives")
)

// ErrRunning is Run's error while another Run of the same Worker runs (two
// would serve one registration), and Handle's once Run has started (the
// registration advertises the handlers Run found). After Run returned, both
// work again.
var ErrRunning = errors.New("worker is running")

// credentialOf looks up the user (and its primary group) commands run as.
func credentialOf(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("run as %q: the worker must run as root to switch users", name)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("run as %q: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("run as %q: non-numeric uid/gid", name)
	}
	// The user's supplementary groups too, as su, sudo -u and systemd's
	// User= give them (initgroups): without, exec drops every one, and a
	// command cannot read what the user reads through a group.
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid} // no group database (a bare container): its own group alone, as before
	}
	groups := make([]uint32, 0, len(gids))
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("run as %q: non-numeric group id %q", name, g)
		}
		groups = append(groups, uint32(n))
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
}

// Drain asks the worker to stop gracefully: it marks its registration draining
// (the leader places nothing more on it), gives what has not started back to
// the queue once the mark is written, lets running attempts
// finish for up to DrainTimeout, then kills what is left, and Run returns. Cancelling Run's
// context instead stops at once. A drain is for good: Run, called again on
// a drained Worker, registers nothing and returns nil (a new Worker serves
// the id again).
func (w *Worker) Drain() { w.drainOnce.Do(func() { close(w.drain) }) }

// Run registers and runs assignments until ctx ends, the worker is drained
// (it returns nil) or its store is closed (store.ErrClosed). On return every
// command it started has been killed and waited for (the guard process and
// the goroutines that start commands, which every Worker of the process
// shares, stay for the life of the process: see Config.Commands); the attempts it did not
// finish are placed again by the leader once the registration is gone. While
// another Worker holds the id (another process, or another Worker on the same
// Store) it waits for that registration to go. A Worker runs once at a time:
// Run while Run runs returns ErrRunning.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.begin(); err != nil {
		return err
	}
	defer func() {
		runningTokens.drop(w.st, w.cfg.ID, w.token)
		w.mu.Lock()
		w.active = false
		w.mu.Unlock()
	}()
	runningTokens.add(w.st, w.cfg.ID, w.token)
	if w.cfg.Commands {
		if err := processGuard.start(); err != nil {
			w.log.Warn().Err(err).Msg("no guard process: should this process be killed, what its commands started runs on")
		}
	}
	// Followers are served across registrations, until Run returns.
	fctx, stopFollow := context.WithCancel(ctx)
	followDone := make(chan struct{})
	go func() { defer close(followDone); w.follow(fctx) }()
	defer func() {
		stopFollow()
		<-followDone
	}()
	pause := restartMin
	for {
		select {
		case <-w.drain:
			// Drained before this Run, or between two registrations: a
			// drain is for good, and registering would take work.
			return nil
		default:
		}
		err := w.serve(ctx)
		if ctx.Err() != nil || errors.Is(err, errDrained) {
			return nil
		}
		if errors.Is(err, store.ErrClosed) {
			return err
		}
		if errors.Is(err, errUnfitRegistration) {
			// Its registration does not fit a record (handlers by the
			// thousand): it never will.
			return fmt.Errorf("worker %s: %w", w.cfg.ID, err)
		}
		if w.st.Closed() {
			// Closed as the session ended under it: the session's end may
			// win the race, and a drain under way took it for its own end.
			return fmt.Errorf("worker %s: %w", w.cfg.ID, store.ErrClosed)
		}
		if errors.Is(err, errSessionLost) || errors.Is(err, errCutOff) || errors.Is(err, errRegistrationGone) {
			if w.draining.Load() {
				// Its attempts were killed with the registration, and run
				// elsewhere: the drain is over. Registering again would
				// take new work with no deadline.
				w.log.Info().Err(err).Msg("registration lost while draining: stopped")
				return nil
			}
			// Registering again waits for the new session: no spin.
			w.log.Warn().Err(err).Msg("registration lost; registering again")
			pause = restartMin
			continue
		}
		// Any other failure (refused by ACLs, a store error) could repeat at
		// once: pace the retries instead of spinning.
		w.log.Warn().Err(err).Dur("retry_in_ms", pause).Msg("worker stopped serving; registering again")
		if !sleepCtx(ctx, pause) {
			return nil
		}
		pause = min(2*pause, restartMax)
	}
}

// begin marks the Worker running, refusing a second Run and a Worker with
// nothing to run.
func (w *Worker) begin() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.active {
		return fmt.Errorf("worker %s: %w", w.cfg.ID, ErrRunning)
	}
	if !w.cfg.Commands && len(w.handlers) == 0 {
		return errors.New("worker: runs no commands (Config.Commands) and has no handlers (Handle): nothing to run")
	}
	w.active = true
	return nil
}

// Bounds of the pause between registrations that failed for a reason other
// than session loss, and between retries of a write whose reply was lost.
const (
	restartMin = 100 * time.Millisecond
	restartMax = 5 * time.Second
)

// sleepCtx waits d; it reports false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sameSession waits for the store to be connected and checks it is still on
// sess: a write retried on a later session would act for a registration that
// is gone, whose attempts the leader places again.
func (w *Worker) sameSession(ctx context.Context, sess *store.Session) error {
	cur, err := w.st.CurrentSession(ctx)
	if err != nil {
		return err
	}
	if cur != sess {
		return errSessionLost
	}
	return nil
}

// serve is one registration's lifetime.
func (w *Worker) serve(ctx context.Context) (err error) {
	// The registration's session, not the one current before registering: a
	// session replaced in between would end this registration's attempts as
	// "lost" while the next registration found the same znode, same czxid, and
	// ran them again.
	// A drain asked for while registering (ZooKeeper away, say) ends the
	// wait: nothing runs yet.
	rctx, stopReg := context.WithCancel(ctx)
	go func() { // ends with stopReg, below
		select {
		case <-w.drain:
			stopReg()
		case <-rctx.Done():
		}
	}()
	reg, sess, err := w.register(rctx)
	stopReg()
	if err != nil {
		select {
		case <-w.drain:
			w.log.Info().Msg("drained while registering: nothing runs")
			w.dropOwnRegistration()
			return errDrained
		default:
		}
		return err
	}
	// Runs last, once every attempt is killed and waited for: a registration
	// this serve gives up while its session lives must go, or the next serve
	// would find it (same czxid) and run its attempts, marked running, again.
	defer func() {
		if !errors.Is(err, errSessionLost) { // else gone with its session
			w.deregister(reg, sess)
		}
	}()
	w.reg.Store(reg)
	w.serving.Store(true)
	defer w.serving.Store(false)
	dir := w.lay.WorkerTasks(w.cfg.ID)
	if err := w.st.EnsurePath(dir); err != nil {
		return err
	}
	w.log.Info().Int64("reg", reg).Int("capacity", w.cfg.Capacity).Msg("worker registered")
	w.regOnce.Do(func() { close(w.registered) })

	// Attempts run under sctx: it ends with the session, so a worker that lost
	// its session kills what it runs (those attempts are placed elsewhere).
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	runs := map[string]*run{} // assignment name -> its run (or a skipped marker)
	// Manifests this registration has read, and the copies of assignments
	// they held that have not started yet (by assignment name).
	manifests := map[string]bool{}
	copies := map[string]*store.Task{}
	var wg sync.WaitGroup
	// The batcher outlives the attempts: they may wait on it while stopping.
	bctx, bcancel := context.WithCancel(context.Background())
	w.batch = newBatcher(w.st)
	batchDone := make(chan struct{})
	go func() { defer close(batchDone); w.batch.run(bctx) }()
	defer func() {
		bcancel()
		<-batchDone
	}()
	var drainDeadline <-chan time.Time
	// handBack closes once the draining mark is written: from then on the
	// leader places nothing more here, and an assignment not yet started
	// goes back to the queue (handBack) instead of running. (Before it,
	// the leader could place a task given back here again.)
	handBack := make(chan struct{})
	// unmarked closes instead when the mark failed for good: what waited
	// for it runs, as before the drain (the leader goes on placing here,
	// and would place a task given back here again).
	unmarked := make(chan struct{})
	gaveUp := false             // unmarked closed
	var marked chan error       // the draining mark's outcome, while it is written
	var remark <-chan time.Time // when to write a mark that failed again
	// mark writes the draining mark aside: a request made while ZooKeeper
	// is away waits until the client has tried every server (a dial
	// timeout each, in a partition), and the drain's deadline must not.
	// The goroutine ends with its request.
	mark := func() {
		marked = make(chan error, 1)
		go func() { marked <- w.markDraining() }()
	}
	// startDrain begins the drain: no new work, the running attempts get
	// until the deadline.
	startDrain := func() {
		w.draining.Store(true)
		drainDeadline = time.After(w.cfg.DrainTimeout)
		w.log.Info().Int("running", w.Running()).Dur("timeout_ms", w.cfg.DrainTimeout).Msg("draining")
		mark()
	}
	// A drain is this serve's once begun here: one begun by an earlier
	// serve is begun again, so that this registration is marked draining
	// and its attempts get a deadline too.
	drainReq := func() <-chan struct{} {
		if drainDeadline != nil {
			return nil
		}
		return w.drain
	}
	// lose ends the registration's attempts for why (session lost, cut off).
	lose := func(why error) error {
		w.log.Warn().Err(why).Dur("session_timeout_ms", w.st.GrantedSessionTimeout()).Msg("killing running attempts")
		cancel(why)
		return why
	}
	// The cut-off is watched apart from the loop below, which can wait in a
	// request for a second or more once the connection is gone.
	cutDone, cutStop := make(chan struct{}), make(chan struct{})
	go func() { defer close(cutDone); w.watchCutOff(cutStop, lose) }()
	defer func() {
		close(cutStop)
		<-cutDone
	}()
	// Manifest deletes, which wait for a lost session to come back, end
	// with serve: a drain that ends while ZooKeeper is away must not wait
	// for it.
	mctx, mcancel := context.WithCancel(sctx)
	defer func() {
		for _, r := range runs {
			r.cancel(errors.New("worker stopping"))
		}
		mcancel()
		wg.Wait()
	}()
	// copying says whether the leader copied the latest assignment into the
	// directory's data, as it does on a quiet cluster: only then is reading
	// that data worth a request.
	copying := true
	// ev is the directory's watch, from the listing that set it until it
	// fires: the client sets it again on the server after a reconnect, so
	// a listing while it stands sets none (each set another, a watch and a
	// goroutine per reconnect of an idle worker).
	var ev <-chan store.Event
	// regEv is the registration's watch, set as ev is: it goes without
	// its session when the leader moves it aside (malformed) or a hand
	// deletes it, and a worker that did not look would serve on unseen.
	var regEv <-chan store.Event
	regPath := w.lay.Worker(w.cfg.ID)
	for {
		// An idle worker reads its directory's data along with the listing
		// (pipelined: one round trip): the leader copies the lone assignment
		// of an idle worker there, which spares reading that assignment.
		wantCopy := len(runs) == 0 && copying
		// The reads take no context: over a silent link they wait for the
		// client to give the connection up (two thirds of a session
		// timeout), and a Run whose context ended waited with them
		// (README: it stops at once). They end in the background then.
		type listed struct {
			kids    []string
			listing store.Stat
			ev      <-chan store.Event
			err     error
			lone    *store.Task
		}
		watch := ev == nil
		l, aerr := store.Await(ctx, func() (listed, error) {
			var dirCopy chan store.DirCopy
			if wantCopy {
				dirCopy = make(chan store.DirCopy, 1)
				go func() { dirCopy <- w.dirCopy() }()
			}
			var l listed
			if watch {
				l.kids, l.listing, l.ev, l.err = w.st.ListW(dir)
			} else {
				l.kids, l.listing, l.err = w.st.List(dir)
			}
			if dirCopy != nil {
				l.lone = (<-dirCopy).For(l.listing)
			}
			return l, nil
		})
		if aerr != nil { // ctx ended
			return nil
		}
		kids, listing, err, lone := l.kids, l.listing, l.err, l.lone
		if l.ev != nil {
			ev = l.ev
		}
		w.listings.Add(1)
		switch {
		case errors.Is(err, store.ErrNoNode):
			if err := w.st.EnsurePath(dir); err != nil && !errors.Is(err, store.ErrConnection) {
				return err
			}
			continue
		case errors.Is(err, store.ErrConnection):
			if connected, changed := w.st.Connected(); !connected {
				select {
				case <-changed:
				case <-drainReq():
					startDrain()
				case <-drainDeadline:
					w.log.Warn().Int("running", w.Running()).Msg("drain timeout: killing running attempts")
					return errDrained
				case <-sess.Done():
					return lose(errSessionLost)
				case <-ctx.Done():
					return nil
				case <-sctx.Done():
					return cutOff(ctx, sctx)
				}
			}
			continue
		case err != nil:
			return err
		}
		if regEv == nil {
			ok, st, rev, err := w.st.ExistsW(regPath)
			switch {
			case err != nil: // set again on the next pass
			case !ok || st.Czxid != reg:
				w.log.Warn().Int64("reg", reg).Msg("registration gone while its session lives (moved aside as malformed, or deleted): stopping its attempts")
				return errRegistrationGone
			default:
				regEv = rev
			}
		}
		present := make(map[string]bool, len(kids))
		var fresh []string
		for _, name := range kids {
			present[name] = true
			if store.IsManifestName(name) && !manifests[name] {
				manifests[name] = true
				fresh = append(fresh, name)
			}
		}
		if len(fresh) > 0 {
			w.readManifests(mctx, &wg, dir, fresh, copies, sess)
		}
		if lone != nil {
			if name := store.AssignmentName(lone.ID, lone.Attempt); copies[name] == nil {
				copies[name] = lone // the assignment as created, if listed
			}
		}
		var started []string
		for _, name := range kids {
			if runs[name] == nil && !store.IsManifestName(name) {
				started = append(started, name)
			}
		}
		// In line for a slot in the queue's order (slots). When more than
		// one came, those without a copy are read first (pipelined: one
		// round trip), or a free slot would go by id, not priority; one
		// alone is put in line as normal until read (slots.reorder).
		if len(started) > 1 {
			w.readUncopied(dir, started, copies)
		}
		prio := func(name string) store.Priority {
			if c := copies[name]; c != nil {
				return c.Priority
			}
			return store.PriorityNormal
		}
		urgent := func(name string) bool { c := copies[name]; return c != nil && !c.MayWait() }
		slices.SortFunc(started, func(a, b string) int {
			return cmp.Or(cmp.Compare(b2i(urgent(b)), b2i(urgent(a))), cmp.Compare(prio(b), prio(a)), strings.Compare(a, b))
		})
		for _, name := range started {
			runs[name] = w.start(sctx, &wg, dir, name, reg, sess, copies[name], w.slots.take(urgent(name), prio(name), name), handBack, unmarked)
			delete(copies, name)
			// The multi that created it last changed the children:
			// did it also write the directory's data?
			copying = listing.Mzxid == listing.Pzxid
		}
		for name := range manifests {
			if !present[name] {
				delete(manifests, name)
			}
		}
		for name := range copies {
			if !present[name] {
				delete(copies, name)
			}
		}
		for name, r := range runs {
			if !present[name] {
				// Withdrawn (or reported by us): make sure nothing still runs.
				r.cancel(errWithdrawn)
				delete(runs, name)
			}
		}
		if w.draining.Load() && w.Running() == 0 {
			w.log.Info().Msg("drained: no attempts running")
			return errDrained
		}
		_, connChanged := w.st.Connected()
		select {
		case <-connChanged:
			continue
		case <-drainReq():
			startDrain()
		case err := <-marked:
			marked = nil
			if err == nil {
				w.log.Info().Int("waiting", w.slots.waitingNow()).Msg("marked draining: giving back what has not started")
				close(handBack)
			}
			if err != nil {
				// Until the mark is written the leader places more work here:
				// a lost reply or a write between the read and ours is tried
				// again (a registration gone or not ours is regEv's to see).
				again := errors.Is(err, store.ErrConnection) || errors.Is(err, store.ErrBadVersion)
				w.log.Warn().Err(err).Bool("again", again).Msg("cannot mark registration draining")
				if again {
					remark = time.After(drainMarkRetry)
				} else if !gaveUp {
					gaveUp = true
					close(unmarked)
				}
			}
		case <-remark:
			remark = nil
			mark()
		case <-drainDeadline:
			w.log.Warn().Int("running", w.Running()).Msg("drain timeout: killing running attempts")
			return errDrained
		case <-w.wake:
		case <-ev:
			ev = nil
		case <-regEv:
			regEv = nil
		case <-sess.Done():
			return lose(errSessionLost)
		case <-ctx.Done():
			return nil
		case <-sctx.Done():
			return cutOff(ctx, sctx)
		}
	}
}

// cutOff is what serve returns when sctx, the registration's attempts'
// context, ended: nil when Run's ctx did, else why (watchCutOff's cut-off).
func cutOff(ctx, sctx context.Context) error {
	if ctx.Err() != nil {
		return nil
	}
	return context.Cause(sctx)
}

// watchCutOff calls lose(errCutOff) once the store is disconnected and
// nothing has come from ZooKeeper until shortly before the server would
// expire the session (store.SessionDeadline, less a sixth of the timeout):
// the leader places a lost session's attempts elsewhere, and the worker
// cannot learn of the expiry while cut off, so it stops them itself. On a
// live link the replies to the client's pings keep the deadline ahead. The
// deadline is reckoned from the reads, not from the client's notice of the
// disconnection, which mostly comes before it (two thirds of the timeout
// after the last read) and then the kill comes a sixth of the timeout
// before the expiry. The notice can come later (a large write stuck on a
// dead link fails only two thirds of the timeout after it began): the kill
// comes with it then, about at the expiry. While the store still counts
// itself connected past the deadline (the process starved of CPU: the
// replies wait unread) it waits for the notice or a read, rather than kill
// on a session that lives. It returns when it has called lose, or when
// stop closes.
func (w *Worker) watchCutOff(stop <-chan struct{}, lose func(error) error) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		connected, changed := w.st.Connected() // a reconnect may bring another grant
		grant := w.st.GrantedSessionTimeout()
		at := w.st.SessionDeadline().Add(-grant / 6)
		wait := time.Until(at)
		switch {
		case wait <= 0 && !connected:
			w.log.Warn().Dur("silent_for_ms", grant-grant/6-wait).Msg("nothing from ZooKeeper until its session may expire")
			lose(errCutOff)
			return
		case wait <= 0:
			wait = grant / 6 // look again: a read or the notice is due
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-changed: // Reset (Go 1.23+ timers) drops a pending fire
		case <-stop:
			return
		}
	}
}

// deregister deletes the registration reg, on sess, if it is still there:
// the leader then places what it ran elsewhere, and the next registration
// is a new one. With ZooKeeper out of reach (cut off, or stopped while
// disconnected: a drain's deadline, Run's context ended) the session, the
// registration and its attempts marked running may yet live on, should the
// link come back before the server expires the session; and Run may
// return now and never register again to find them: the leader would take
// the worker for alive and never place those attempts again. So the
// deletion waits for the link in the background (Run does not wait for
// it), until the server can have expired the session: its deadline, plus
// half a timeout for the expiry to come round (at a tick; a timeout is at
// least two). Back later, or on another session, the registration went
// with its session; a closed store ends the wait too.
func (w *Worker) deregister(reg int64, sess *store.Session) {
	if connected, _ := w.st.Connected(); connected {
		// On a silent link (the client still counts itself connected) the
		// delete waits for the client to give the connection up, two
		// thirds of a session timeout, and so did Run whose context was
		// cancelled (README: it stops at once): past deregisterWait it goes
		// on in the background.
		done := make(chan error, 1)
		go func() { done <- w.deleteRegistration(w.registration(reg)) }()
		select {
		case err := <-done:
			if !w.deregistered(reg, sess, err) {
				return
			}
		case <-time.After(deregisterWait):
			w.log.Info().Int64("reg", reg).Msg("ZooKeeper slow to answer: the registration is deleted in the background")
			go func() {
				if w.deregistered(reg, sess, <-done) {
					w.deregisterOnceBack(reg, sess)
				}
			}()
			return
		}
	}
	w.log.Info().Int64("reg", reg).Msg("ZooKeeper out of reach: the registration is deleted if it comes back before the session can have expired")
	go w.deregisterOnceBack(reg, sess)
}

// deregistered logs a delete of the registration that failed for good and
// says whether it failed on a lost connection instead (to be tried once
// the link is back).
func (w *Worker) deregistered(reg int64, sess *store.Session, err error) (again bool) {
	if err == nil || !errors.Is(err, store.ErrConnection) {
		if err != nil {
			w.log.Warn().Err(err).Int64("reg", reg).Msg("cannot delete the registration; it ends with the session")
		}
		return false
	}
	return true
}

// deregisterWait is how long Run waits for its registration's delete
// before it lets it go on in the background.
const deregisterWait = time.Second

// deregisterOnceBack deletes the registration reg, on sess, once the store
// is connected again on that session, if it is before the server can have
// expired it (see deregister).
func (w *Worker) deregisterOnceBack(reg int64, sess *store.Session) {
	var err error
	for try := 0; try < 3; try++ {
		ctx, cancel := context.WithDeadline(context.Background(), w.st.SessionDeadline().Add(w.st.GrantedSessionTimeout()/2))
		cur, cerr := w.st.CurrentSession(ctx)
		cancel()
		if cerr != nil || cur != sess {
			return
		}
		if err = w.deleteRegistration(w.registration(reg)); err == nil || !errors.Is(err, store.ErrConnection) {
			break
		}
	}
	if err != nil {
		w.log.Warn().Err(err).Int64("reg", reg).Msg("cannot delete the registration; it ends with the session")
	}
}

// registration matches the registration reg (by its creation).
func (w *Worker) registration(reg int64) func(store.Stat, []byte) bool {
	return func(st store.Stat, _ []byte) bool { return st.Czxid == reg }
}

// dropOwnRegistration deletes a registration of this worker's on this store's
// session: a create whose reply a drain stopped waiting for may have landed.
// One of another Worker of the id on the same Store is left alone.
func (w *Worker) dropOwnRegistration() {
	// Connected again within a session timeout, the session (and the
	// registration, if it was made) lives on; else it has ended with it.
	ctx, cancel := context.WithTimeout(context.Background(), w.st.SessionTimeout())
	defer cancel()
	if sess, err := w.st.CurrentSession(ctx); err == nil {
		ours := func(st store.Stat, data []byte) bool { return st.EphemeralOwner == sess.ID() && w.tokenOf(data) }
		if err := w.deleteRegistration(ours); err != nil {
			w.log.Warn().Err(err).Msg("cannot delete the registration; it ends with the session")
		}
	}
}

// deleteRegistration deletes the worker's registration if ours says it is
// this worker's (by its stat and data); gone already is no error.
func (w *Worker) deleteRegistration(ours func(store.Stat, []byte) bool) error {
	p := w.lay.Worker(w.cfg.ID)
	var err error
	// A draining mark written meanwhile (it is written aside) changes the
	// version: read it again.
	for try := 0; try < 3; try++ {
		var data []byte
		var st store.Stat
		if data, st, err = w.st.Get(p); err != nil || !ours(st, data) {
			break
		}
		if err = w.st.Delete(p, st.Version); !errors.Is(err, store.ErrBadVersion) {
			break
		}
	}
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	return err
}

// drainMarkRetry is the pause before writing a draining mark that failed
// again.
const drainMarkRetry = 250 * time.Millisecond

// testHookMarkDraining, when set by a test, is called as a draining mark
// is written, before it is: a mark that has not landed yet, or (its error)
// one that fails.
var testHookMarkDraining atomic.Pointer[func() error]

// markDraining rewrites the registration with draining set.
func (w *Worker) markDraining() error {
	if hook := testHookMarkDraining.Load(); hook != nil {
		if err := (*hook)(); err != nil {
			return err
		}
	}
	p := w.lay.Worker(w.cfg.ID)
	data, stat, err := w.st.Get(p)
	if err != nil {
		return err
	}
	if stat.Czxid != w.reg.Load() {
		// Another process's registration under this id (ours has expired).
		return errors.New("registration is not this worker's")
	}
	info, err := store.DecodeWorker(data)
	if err != nil {
		return err
	}
	info.Draining = true
	if data, err = store.Encode(info); err != nil {
		return err
	}
	_, err = w.st.Set(p, data, stat.Version)
	return err
}

// tokenOf reports whether registration data carries this Worker's token.
func (w *Worker) tokenOf(data []byte) bool {
	info, err := store.DecodeWorker(data)
	return err == nil && info.Token == w.token
}

// runningTokens holds the tokens of the Workers whose Run runs, by Store
// and id. A registration on a Store's session whose token none of them
// holds was left by a Worker that ended while ZooKeeper was away (its
// delete failed, and the session lived on): a new Worker of the id takes
// it over rather than wait for it to go, which it would not while the
// Store is open.
var runningTokens = tokenSet{held: map[tokenKey]map[string]bool{}}

type tokenKey struct {
	st *store.Store
	id string
}

type tokenSet struct {
	mu   sync.Mutex
	held map[tokenKey]map[string]bool
}

func (s *tokenSet) add(st *store.Store, id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{st, id}
	if s.held[k] == nil {
		s.held[k] = map[string]bool{}
	}
	s.held[k][token] = true
}

func (s *tokenSet) drop(st *store.Store, id, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tokenKey{st, id}
	delete(s.held[k], token)
	if len(s.held[k]) == 0 {
		delete(s.held, k)
	}
}

// running reports whether a Worker of id on st whose Run runs holds token.
func (s *tokenSet) running(st *store.Store, id, token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[tokenKey{st, id}][token]
}

// register creates the registration znode, waiting for one of the same id
// held by another session (left by an earlier one, say) or by another Worker
// on this Store (same session, another token) to go. It returns the
// registration's czxid and the session that owns it.
func (w *Worker) register(ctx context.Context) (int64, *store.Session, error) {
	host, _ := os.Hostname()
	info := registrationOf(w.cfg, host, os.Getpid(), w.cfg.Now(), w.handlerNames(), w.token)
	if err := fitsMarked(info); err != nil {
		// Handlers count here, not in CheckConfig.
		return 0, nil, fmt.Errorf("%w: marked draining: %w", errUnfitRegistration, err)
	}
	data, err := store.Encode(&info)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w", errUnfitRegistration, err)
	}
	p := w.lay.Worker(w.cfg.ID)
	warned := false
	for {
		st, sess, err := w.st.CreateEphemeral(ctx, p, data)
		shared := false // held by another Worker on this Store
		if err == nil {
			// Of this session, but perhaps not this Worker's: CreateEphemeral
			// takes a znode its session holds for its own (a create whose
			// reply was lost), and another Worker on this Store shares the
			// session. Serving that one's registration, this Worker would
			// take its tasks and fail them ("no handler").
			var cur []byte
			cur, st, err = w.st.Get(p)
			if errors.Is(err, store.ErrNoNode) || errors.Is(err, store.ErrConnection) {
				continue // gone meanwhile, or unknown: create (or find it) again
			}
			if err != nil {
				return 0, nil, fmt.Errorf("register %s: read the registration: %w", w.cfg.ID, err)
			}
			// One that does not decode is not to be taken: the leader moves
			// it aside.
			info, derr := store.DecodeWorker(cur)
			switch {
			case derr == nil && info.Token == w.token: // this Worker's
			case derr == nil && !runningTokens.running(w.st, w.cfg.ID, info.Token):
				// Left by a Worker of this Store that ended: no one's now.
				w.log.Info().Int64("reg", st.Czxid).Msg("taking over the registration an ended Worker left on this store")
				if err := w.st.Delete(p, st.Version); err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrBadVersion) {
					return 0, nil, fmt.Errorf("register %s: end the registration an ended Worker left: %w", w.cfg.ID, err)
				}
				continue
			default:
				shared, err = true, store.ErrNodeExists
			}
		}
		if err == nil && st.Czxid == w.reg.Load() {
			// The registration of an earlier serve, on a session that lived
			// on (say, through a cut-off that outlasted the timeout but not
			// the server's patience). Its attempts were stopped: end it, so
			// the leader places them again, and register anew.
			w.log.Info().Int64("reg", st.Czxid).Msg("ending the registration of an earlier serve")
			if derr := w.st.Delete(p, st.Version); derr != nil && !errors.Is(derr, store.ErrNoNode) {
				return 0, nil, fmt.Errorf("register %s: end the earlier registration: %w", w.cfg.ID, derr)
			}
			continue
		}
		if err == nil {
			return st.Czxid, sess, nil
		}
		if !errors.Is(err, store.ErrNodeExists) {
			return 0, nil, fmt.Errorf("register %s: %w", w.cfg.ID, err)
		}
		if !warned {
			if shared {
				w.log.Warn().Msg("worker id registered by another Worker on the same store; waiting for it to go")
			} else {
				w.log.Warn().Msg("worker id registered by another session; waiting for it to go")
			}
			warned = true
		}
		ok, _, ev, err := w.st.ExistsW(p)
		if err != nil && !errors.Is(err, store.ErrConnection) {
			return 0, nil, err
		}
		if err == nil && ok {
			select {
			case <-ev:
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			}
		}
	}
}

// readManifests reads new manifests (pipelined) into copies, keyed by
// assignment name, and deletes each (again once the session is back, when
// the connection was lost): a manifest is read once. One that cannot
// be read costs nothing but the reads of its assignments.
func (w *Worker) readManifests(ctx context.Context, wg *sync.WaitGroup, dir string, names []string, copies map[string]*store.Task, sess *store.Session) {
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = dir + "/" + name
	}
	for _, rd := range w.st.GetMany(paths) {
		switch {
		case errors.Is(rd.Err, store.ErrNoNode):
			continue
		case rd.Err != nil:
			w.log.Debug().Err(rd.Err).Str("manifest", rd.Path).Msg("cannot read manifest; reading its assignments")
		default:
			tasks, err := store.DecodeManifest(rd.Data)
			if err != nil {
				if qerr := w.st.Quarantine(rd.Path, rd.Data, rd.Stat.Version, err); qerr != nil {
					w.log.Warn().Err(qerr).Str("manifest", rd.Path).Msg("cannot quarantine malformed manifest")
				}
				continue
			}
			for _, t := range tasks {
				if t.Worker == w.cfg.ID {
					copies[store.AssignmentName(t.ID, t.Attempt)] = t
				}
			}
		}
		p := rd.Path
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := w.batch.commit(ctx, nil, len(p), func(txn *store.Txn) error {
					txn.Delete(p, -1)
					return nil
				})
				// Lost with the connection: again once the session is back.
				// The name counts as read, so no listing brings it back
				// here, and it stayed until the registration ended.
				if errors.Is(err, store.ErrConnection) && w.sameSession(ctx, sess) == nil {
					continue
				}
				if err != nil && !errors.Is(err, store.ErrNoNode) && ctx.Err() == nil {
					w.log.Debug().Err(err).Str("manifest", p).Msg("cannot delete manifest; the leader does when this registration ends")
				}
				return
			}
		}()
	}
}

// readUncopied reads the new assignments in names that have no copy into
// copies, as created (version 0); one unreadable, malformed or written
// since is left to its own read (Worker.start).
func (w *Worker) readUncopied(dir string, names []string, copies map[string]*store.Task) {
	var paths []string
	for _, name := range names {
		if copies[name] == nil {
			paths = append(paths, dir+"/"+name)
		}
	}
	for _, rd := range w.st.GetMany(paths) {
		if rd.Err != nil || rd.Stat.Version != 0 {
			continue
		}
		name := rd.Path[len(dir)+1:]
		t, err := store.DecodeTask(rd.Data)
		if id, attempt, perr := store.ParseAssignmentName(name); err == nil && perr == nil && id == t.ID && attempt == t.Attempt {
			copies[name] = t
		}
	}
}

// dirCopy reads the copy of an assignment in the worker's directory data;
// none when unreadable or malformed (the assignment is then read itself).
func (w *Worker) dirCopy() store.DirCopy {
	c, err := w.st.WorkerDirCopy(w.cfg.ID)
	if err != nil {
		w.log.Debug().Err(err).Msg("no usable assignment copy in the directory's data")
	}
	return c
}

// run is one assignment seen by this registration.
type run struct {
	cancel context.CancelCauseFunc
}

// start handles a new assignment in its own goroutine: it reads it (unless a
// manifest gave its copy) and, if it belongs to this registration, runs it.
// Reads of many new assignments are thereby pipelined instead of holding up
// the watch loop one by one.
func (w *Worker) start(ctx context.Context, wg *sync.WaitGroup, dir, name string, reg int64, sess *store.Session, copied *store.Task, slot *waiter, handBack, unmarked <-chan struct{}) *run {
	rctx, cancel := context.WithCancelCause(ctx)
	r := &run{cancel: cancel}
	w.running.Add(1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer w.slots.drop(slot)
		defer func() {
			w.running.Add(-1)
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}()
		p := dir + "/" + name
		// A copy is the assignment as created: version 0.
		task, version, ok := copied, int32(0), copied != nil
		if !ok {
			if task, version, ok = w.read(rctx, p, name); !ok {
				return
			}
		}
		if task.Reg != reg && copied != nil {
			// The copy may not be the assignment as it stands (a manifest
			// written over): the assignment itself says.
			if task, version, ok = w.read(rctx, p, name); !ok {
				return
			}
			copied = nil
		}
		log := w.log.With().Str("task_id", task.ID).Int("attempt", task.Attempt).Logger()
		if task.Reg != reg {
			log.Debug().Int64("reg", task.Reg).Msg("assignment of an earlier registration: left to the leader")
			return
		}
		// A slot from before the running mark until the report is in
		// line to be written: a prefetched assignment waits here, still
		// assigned, and its running mark, queued after that report,
		// commits with it or after it (handOff).
		w.slots.reorder(slot, !task.MayWait(), task.Priority)
		if !task.MayEndUnstarted() || task.StartByBinds() {
			// Runs, as a drain did before hand-backs. A first attempt
			// bound by a starting deadline was placed in time, and goes
			// when it gets a slot: handed back it could miss the deadline.
			handBack = nil
		}
		err := w.slots.wait(rctx, slot, handBack)
		if err == nil && handBack != nil && w.draining.Load() {
			// A drain begun, its mark not yet landed: the leader may
			// still place here, and what it places waits for the mark,
			// then goes back (once marked, the leader sends nothing
			// more). It started: a long task so started was killed at
			// the drain's deadline, and counted lost.
			select {
			case <-handBack:
			case <-unmarked: // no mark to come: it runs
			case <-rctx.Done():
			}
		}
		if err == nil {
			select {
			case <-handBack: // given a slot as the drain began: nothing new starts
				err = errHandBack
			default:
				// Given a slot as the attempt was withdrawn or the worker
				// stopped (wait's select took either): no mark to write.
				err = context.Cause(rctx)
			}
		}
		if errors.Is(err, errHandBack) {
			w.slots.drop(slot)
			err = w.handBack(rctx, log, p, version, task, sess)
			if copied != nil && errors.Is(err, store.ErrBadVersion) {
				// The copy was not the assignment as it stands: read it.
				if task, version, ok = w.read(rctx, p, name); ok && task.Reg == reg && task.State == store.StateAssigned {
					w.handBack(rctx, log, p, version, task, sess)
				}
			}
			return
		}
		if err != nil {
			log.Debug().Str("why", err.Error()).Msg("assignment gave up waiting for a slot")
			return
		}
		w.slotWait.Observe(time.Since(slot.since).Seconds())
		handOff := func() { w.slots.drop(slot) }
		err = w.attempt(rctx, log, p, version, task, sess, handOff)
		if copied != nil && errors.Is(err, store.ErrBadVersion) {
			// The copy was not the assignment as it stands: read it.
			if task, version, ok = w.read(rctx, p, name); ok && task.Reg == reg {
				w.attempt(rctx, log, p, version, task, sess, handOff)
			}
		}
	}()
	return r
}

// read fetches and decodes an assignment, retrying through connection trouble;
// malformed data is quarantined. ok is false when there is nothing to run.
func (w *Worker) read(ctx context.Context, p, name string) (task *store.Task, version int32, ok bool) {
	pause := restartMin
	for {
		data, stat, err := w.st.Get(p)
		switch {
		case errors.Is(err, store.ErrNoNode):
			return nil, 0, false
		case err != nil:
			// Paced: an error that repeats (an assignment made by another
			// identity, which this one may not read) must not flood the log.
			w.log.Warn().Err(err).Str("assignment", name).Dur("retry_in_ms", pause).Msg("cannot read assignment; will retry")
			if !sleepCtx(ctx, pause) {
				return nil, 0, false
			}
			pause = min(2*pause, restartMax)
			continue
		}
		task, err := store.DecodeTask(data)
		if err == nil {
			if id, attempt, perr := store.ParseAssignmentName(name); perr != nil || id != task.ID || attempt != task.Attempt {
				err = fmt.Errorf("%w: assignment %s holds task %s attempt %d", store.ErrMalformed, name, task.ID, task.Attempt)
			}
		}
		if err != nil {
			if qerr := w.st.Quarantine(p, data, stat.Version, err); qerr != nil {
				w.log.Warn().Err(qerr).Str("assignment", name).Msg("cannot quarantine malformed assignment")
			}
			return nil, 0, false
		}
		return task, stat.Version, true
	}
}

// attempt marks the assignment running, runs it and reports the outcome. The
// mark comes first: a withdrawn or replaced assignment fails it, so such an
// attempt never starts; that failure is returned. handOff is called once
// the report is in line to be written (see report).
func (w *Worker) attempt(ctx context.Context, log zerolog.Logger, path string, version int32, task *store.Task, sess *store.Session, handOff func()) error {
	task.State, task.StartedAt = store.StateRunning, w.cfg.Now().UTC()
	data, err := store.Encode(task)
	if err != nil {
		// A record placed just under the size limit that its running mark
		// takes over it: moved aside, as one whose outcome cannot be
		// written, rather than hold its slot, never started, for ever.
		log.Error().Err(err).Msg("the running mark cannot be written; moving the assignment to deadletter")
		w.moveAside(log, path, version, fmt.Errorf("%w: its running mark cannot be written: %v", store.ErrMalformed, err))
		return err
	}
	running, err := w.markRunning(ctx, path, data, version, sess)
	if err != nil {
		log.Warn().Err(err).Msg("assignment withdrawn before start")
		return err
	}
	why := context.Cause(ctx)
	select {
	case <-sess.Done():
		why = errSessionLost // the serve loop may not have ended ctx yet
	default:
	}
	if why != nil {
		// The mark waited in a group commit while the worker stopped or lost
		// its session (and may have landed on the next one): nothing starts,
		// and the leader places the attempt again once this registration is
		// gone.
		log.Warn().Str("why", why.Error()).Msg("attempt marked running as the worker stopped; not started")
		return nil
	}
	if e := log.Debug(); e.Enabled() { // loggedCmd allocates
		e.Strs("cmd", loggedCmd(task.Cmd)).Str("handler", task.Handler).Msg("attempt started")
	}
	w.started.Add(1)
	if n := w.executing.Add(1); int(n) > w.cfg.Capacity {
		log.Warn().Int32("running", n).Int("capacity", w.cfg.Capacity).Msg("running more than capacity")
	}
	var out outcome
	switch {
	case task.Handler != "":
		out = w.runHandler(ctx, task)
	case !w.cfg.Commands:
		// Placed by a leader that did not know (an older version): refused
		// as a program off the allow-list is.
		out = outcome{Started: w.cfg.Now(), ExitCode: 126, Err: "this worker runs no commands, only Go handlers"}
		out.Ended = out.Started
	default:
		stdout, stderr := newTail(w.cfg.OutputLimit), newTail(w.cfg.OutputLimit)
		live := w.live.add(task, stdout, stderr)
		out = executeInto(ctx, task, w.cfg.ID, stdout, stderr, w.cfg.Now, w.policy)
		if w.live.remove(live) {
			w.publishRun(live) // what came since the last round, before the report
		}
		if out.guard != nil {
			log.Warn().Err(out.guard).Msg("worker guard")
		}
		if out.abandoned != "" {
			log.Warn().Str("why", out.abandoned).Msg("command abandoned")
		}
	}
	w.executing.Add(-1)
	if ctx.Err() != nil {
		w.killed.Add(1)
		log.Warn().Str("why", context.Cause(ctx).Error()).Msg("attempt killed; not reporting")
		select {
		case <-sess.Done():
		default:
			if errors.Is(context.Cause(ctx), errWithdrawn) {
				w.keepCancelledOutput(log, task, out)
			}
		}
		return nil
	}
	w.report(ctx, log, path, running, task, out, sess, handOff)
	return nil
}

// errWithdrawn ends an attempt whose assignment went while the worker
// served: cancelled, withdrawn by the leader, or reported.
var errWithdrawn = errors.New("assignment withdrawn")

// keepCancelledOutput files the output of an attempt a cancel cut short in
// the task's result: the cancel (drover cancel, a replace schedule's next
// slot) wrote it with none, and what a hung task printed is why one cancels
// it. Only into the result this attempt ended as, cancelled, from this
// worker, with no output yet, at the version read: a result that moved on
// (retried, pruned) is left alone. drover wait may return before it is in.
func (w *Worker) keepCancelledOutput(log zerolog.Logger, task *store.Task, out outcome) {
	if out.StdoutBytes == 0 && out.StderrBytes == 0 {
		return
	}
	p := w.lay.Result(task.ID)
	data, st, err := w.st.Get(p)
	if err != nil {
		return // none: withdrawn by the leader, queued again
	}
	rec, err := store.DecodeTaskOf(task.ID, data)
	if err != nil || rec.State != store.StateCancelled || rec.Attempt != task.Attempt || len(rec.History) == 0 {
		return
	}
	a := &rec.History[len(rec.History)-1]
	if a.N != task.Attempt || a.Worker != w.cfg.ID || !a.Cancelled || a.Unstarted ||
		rec.Stdout != "" || rec.Stderr != "" || a.StdoutBytes != 0 || a.StderrBytes != 0 {
		return
	}
	rec.Stdout, rec.Stderr = out.Stdout, out.Stderr
	a.StdoutBytes, a.StderrBytes = out.StdoutBytes, out.StderrBytes
	enc, err := fitRecord(rec, 0)
	if err == nil {
		err = w.st.Txn().Set(p, enc, st.Version).Commit()
	}
	if err != nil {
		log.Debug().Err(err).Msg("output of the cancelled attempt not kept")
		return
	}
	log.Info().Msg("output of the cancelled attempt kept in its result")
}

// markRunning writes the running state at the version read (in a group
// commit) and returns the assignment's new version. When the reply is lost it
// retries on the same session, recognising its own earlier write by content.
func (w *Worker) markRunning(ctx context.Context, path string, data []byte, version int32, sess *store.Session) (int32, error) {
	lost := false
	for {
		err := w.batch.commit(ctx, nil, len(path)+len(data), func(txn *store.Txn) error {
			txn.Set(path, data, version)
			return nil
		})
		switch {
		case err == nil:
			return version + 1, nil
		case errors.Is(err, store.ErrConnection):
			lost = true
			if err := w.sameSession(ctx, sess); err != nil {
				return 0, err
			}
			continue
		case lost && errors.Is(err, store.ErrBadVersion):
			// Ours, if it holds what we wrote one version on. Confirm on the
			// same session however often the connection drops meanwhile:
			// giving up here would leave an assignment marked running that
			// this registration never runs.
			for {
				cur, st, gerr := w.st.Get(path)
				if errors.Is(gerr, store.ErrConnection) {
					if err := w.sameSession(ctx, sess); err != nil {
						return 0, err
					}
					continue
				}
				if gerr == nil && string(cur) == string(data) && st.Version == version+1 {
					return st.Version, nil
				}
				break
			}
		}
		return 0, err
	}
}

// handBack gives an assignment that has not started back to the queue as
// its worker drains: in one write (group-committed), its assignment goes
// at the version read and the next attempt is queued, this one ended
// unstarted in the history (store.Attempt.Unstarted: neither failed nor
// lost), with no backoff (a retry's was over when it was placed). A
// withdrawn assignment fails the write (ErrNoNode; ErrBadVersion for a
// copy not as it stands). A record too large to queue again (one written
// near the size limit by hand) stays; the worker's end then loses it, as
// it did before hand-backs.
func (w *Worker) handBack(ctx context.Context, log zerolog.Logger, path string, version int32, task *store.Task, sess *store.Session) error {
	ended := w.cfg.Now().UTC()
	next := task.Clone()
	next.AddAttempt(store.Attempt{N: task.Attempt, Worker: w.cfg.ID, FinishedAt: ended, ExitCode: -1,
		Error: "handed back unstarted: the worker drained", Unstarted: true})
	next.Attempt++
	next.NotBefore = time.Time{}
	trial := w.st.Txn()
	if err := trial.Enqueue(next.Clone()); err != nil {
		log.Error().Err(err).Msg("cannot hand the assignment back: it stays until the worker stops")
		return err
	}
	size := trial.Size() + 2*len(path)
	build := func(txn *store.Txn) error {
		txn.Delete(path, version)
		return txn.Enqueue(next.Clone())
	}
	lost := false // a try's outcome was not heard
	for {
		err := w.batch.commit(ctx, []string{task.ID}, size, build)
		switch {
		case err == nil:
			w.handedBack.Add(1)
			log.Info().Msg("assignment handed back to the queue unstarted: the worker drains")
			return nil
		case errors.Is(err, store.ErrConnection):
			// Sent again on the same session: if the first try landed, the
			// retry finds the assignment gone (its name is this attempt's
			// alone: placed again, the task is the next attempt).
			lost = true
			if err := w.sameSession(ctx, sess); err != nil {
				return err
			}
		case errors.Is(err, store.ErrNoNode):
			if lost && w.landed(task.ID, task.Attempt, true, ended) {
				w.handedBack.Add(1)
				log.Info().Msg("assignment handed back to the queue unstarted (confirmed after a lost reply): the worker drains")
				return nil
			}
			log.Info().Msg("assignment withdrawn before it was handed back")
			return err
		case errors.Is(err, store.ErrNodeExists):
			// The task's record stands elsewhere (queued twice, as
			// report's refusal): this assignment is a stale duplicate.
			log.Error().Err(err).Msg("hand-back refused: the task's record exists already; dropping the assignment")
			w.dropAssignment(ctx, log, task.ID, path, version, sess)
			return err
		default:
			if ctx.Err() == nil {
				log.Warn().Err(err).Msg("assignment not handed back")
			}
			return err
		}
	}
}

// dropAssignment deletes the assignment at path, at version, alone: that
// of an outcome or a hand-back refused because the task's record exists
// already (it ran twice). A delete whose outcome was not heard is sent
// again on the same session (one that landed then finds nothing): left,
// the assignment would stand, marked as it is, holding a slot in the
// leader's count for as long as the registration lives.
func (w *Worker) dropAssignment(ctx context.Context, log zerolog.Logger, id, path string, version int32, sess *store.Session) {
	drop := func(txn *store.Txn) error { txn.Delete(path, version); return nil }
	pause := restartMin
	for try := 0; ; try++ {
		err := w.batch.commit(ctx, []string{id}, 2*len(path), drop)
		switch {
		case err == nil, errors.Is(err, store.ErrNoNode): // gone: deleted, or withdrawn
			return
		case errors.Is(err, store.ErrConnection):
			if err := w.sameSession(ctx, sess); err != nil {
				log.Warn().Err(err).Msg("session ended before the assignment was deleted")
				return
			}
			if try > 0 && !sleepCtx(ctx, pause) { // connected, yet failing: paced
				return
			}
			pause = min(2*pause, restartMax)
		default:
			if ctx.Err() == nil {
				log.Warn().Err(err).Msg("could not delete the assignment")
			}
			return
		}
	}
}

// moveAside moves the assignment at path, if still at version, to
// deadletter for why.
func (w *Worker) moveAside(log zerolog.Logger, path string, version int32, why error) {
	data, stat, err := w.st.Get(path)
	switch {
	case errors.Is(err, store.ErrNoNode):
		return
	case err != nil:
		log.Warn().Err(err).Msg("cannot quarantine the assignment: cannot read it")
		return
	case stat.Version != version:
		return // withdrawn or changed by the leader: the leader's to deal with
	}
	w.quarantine(log, path, data, version, why)
}

// quarantine moves the assignment at path, read as data at version, to
// deadletter for why.
func (w *Worker) quarantine(log zerolog.Logger, path string, data []byte, version int32, why error) {
	if err := w.st.Quarantine(path, data, version, why); err != nil {
		log.Warn().Err(err).Msg("cannot quarantine the assignment")
	}
}

// writtenOver reads the assignment at path, changed while task ran (a
// report at the version the worker wrote failed), and moves it to
// deadletter when it no longer holds the task's attempt (junk written over
// it, by hand or by another program): it held the worker's slot,
// unreported, for the rest of the leader's term. It reports whether it
// dealt with it so; one that still holds the attempt is a replacement, and
// stays.
func (w *Worker) writtenOver(log zerolog.Logger, path string, task *store.Task) bool {
	data, st, err := w.st.Get(path)
	if err != nil {
		return false
	}
	now, derr := store.DecodeTaskOf(task.ID, data)
	if derr == nil && now.Attempt == task.Attempt {
		return false
	}
	if derr == nil {
		derr = fmt.Errorf("%w: assignment %s was written over with attempt %d", store.ErrMalformed, path, now.Attempt)
	}
	log.Error().Err(derr).Msg("report rejected: the assignment was written over while it ran; moving it to deadletter")
	w.quarantine(log, path, data, st.Version, derr) // as read: at a later version, it is not moved
	return true
}

// report posts an attempt's outcome in one transaction that deletes the
// assignment at the version this worker wrote: if the leader withdrew or replaced
// it meanwhile, nothing is written. handOff is called once its first try is
// in line in the group commit: the attempt's slot then goes to the next
// assignment, whose running mark, queued after it, commits with it or
// after it, so as a rule no more than the capacity stand marked running at
// once. Not when the report leaves its assignment standing: its outcome
// lost with the connection (the next mark may land before its retry),
// refused because the task's record exists already (the assignment is
// deleted in a write after it), or retried while the assignment stands.
// The attempt has ended by then: no more than the capacity run at once.
func (w *Worker) report(ctx context.Context, log zerolog.Logger, path string, version int32, task *store.Task, out outcome, sess *store.Session, handOff func()) {
	posted, unknown := false, false // unknown: a try's outcome was not heard
	var next *store.Task
	done := task.Clone()
	defer func() {
		if !posted && unknown {
			if connected, _ := w.st.Connected(); !connected && ctx.Err() != nil {
				// Stopping with ZooKeeper out of reach: a look would wait
				// for it (a server that takes connections but does not
				// answer: ten receive timeouts), and the worker's stop,
				// bounded by its drain, waits for this attempt.
				log.Warn().Msg("report not confirmed: stopped while ZooKeeper is out of reach")
			} else if w.landed(task.ID, task.Attempt, next != nil, out.Ended) {
				// Stopped before a try whose reply was lost could be
				// confirmed: the assignment went because the try landed
				// (its delete is the serve loop's cue to stop the attempt).
				posted = true
				log.Info().Msg("report confirmed after it was stopped")
			}
		}
		if posted {
			w.reported.Add(1)
			w.outcomes[outcomeOf(done, next)].Add(1)
		} else {
			w.unreported.Add(1)
		}
	}()
	done.AddAttempt(store.Attempt{
		N: task.Attempt, Worker: w.cfg.ID, StartedAt: out.Started.UTC(), FinishedAt: out.Ended.UTC(),
		ExitCode: out.ExitCode, Error: out.Err, Lost: out.hostFault, StdoutBytes: out.StdoutBytes, StderrBytes: out.StderrBytes,
	})
	if out.hostFault {
		// The worker's doing (its open files, processes or memory ran out):
		// lost, as an attempt of a worker that died, not failed. Its retry
		// waits a backoff by the losses so far, and goes to another worker
		// if one is free; 20 losses end the task, as any.
		log.Error().Str("error", out.Err).Msg("cannot start commands: this worker is out of a resource; the attempt counts as lost")
	}
	if out.Err == "" && task.Handler == "" && task.SkipsRetryOn(out.ExitCode) {
		// The program's own exit, with a code the task says no retry
		// mends (not one the worker gave: not allowed, not found).
		out.final, out.Err = true, fmt.Sprintf("exit code %d: not retried (no_retry_exit)", out.ExitCode)
		done.History[len(done.History)-1].Error = out.Err
	}
	code := out.ExitCode
	done.ExitCode, done.Error, done.Stdout, done.Stderr, done.FinishedAt = &code, store.Clip(out.Err, store.MaxResultError), out.Stdout, out.Stderr, out.Ended.UTC()
	switch {
	case out.ok():
		done.State = store.StateSucceeded
	case done.ShouldRetry() && !out.final:
		next = done.Clone()
		next.KeepLastOutput(out.Stdout, out.Stderr)
		next.Attempt++
		next.NotBefore = w.cfg.Now().Add(retryDelay(w.cfg.Backoff, done, out.hostFault)).UTC()
		next.ExitCode, next.Error, next.Stdout, next.Stderr, next.FinishedAt = nil, "", "", "", time.Time{}
	case out.hostFault:
		done.State = store.StateDead // lost too often
	default:
		done.State = done.FailedState()
	}
	rec := done
	if next != nil {
		rec = next
	}
	stdout, stderr := len(rec.Stdout), len(rec.Stderr)
	// The record and the empty writes that make it at its version
	// go in one request: a queue item's (store.VersionWriteBytes) or a
	// result's (store.FinishWriteBytes).
	versionBytes := store.FinishWriteBytes(rec, len(w.lay.Result(rec.ID)))
	if next != nil {
		versionBytes = store.VersionWriteBytes(rec, len(w.lay.QueueItem(rec.ID)))
	}
	data, err := fitRecord(rec, versionBytes)
	if err != nil {
		// Only a record no Drover writes gets here (a spec past the size
		// limit, an attempt number set by hand whose version writes outgrow
		// a request): moved aside, as the leader moves one it cannot
		// withdraw, rather than show running, and hold its slot, for ever.
		log.Error().Err(err).Msg("report failed: the outcome cannot be written; moving the assignment to deadletter")
		w.moveAside(log, path, version, fmt.Errorf("%w: its outcome cannot be written: %v", store.ErrMalformed, err))
		return
	}
	if len(rec.Stdout) < stdout || len(rec.Stderr) < stderr {
		log.Warn().Int("stdout_kept", len(rec.Stdout)).Int("stderr_kept", len(rec.Stderr)).
			Msg("output tails shortened to fit the result in one znode")
	}
	build := func(txn *store.Txn) error {
		txn.Delete(path, version)
		if next != nil {
			return txn.Enqueue(next.Clone())
		}
		return txn.FinishEncoded(done, data)
	}
	// The deleted assignment and the created record, made at its version.
	size := len(data) + 2*len(path) + versionBytes
	// awaitSession notes an outcome not heard and waits for the same
	// session back; false: it ended (the report is then not confirmed).
	awaitSession := func() bool {
		unknown = true
		if err := w.sameSession(ctx, sess); err != nil {
			log.Warn().Err(err).Msg("session ended before the report was confirmed")
			return false
		}
		return true
	}
	pause := restartMin
	for try := 0; ; try++ {
		err := w.batch.commitQueued(ctx, []string{task.ID}, size, build, handOff)
		switch {
		case err == nil:
			posted = true
			if next != nil {
				log.Info().Int("exit_code", code).Str("error", done.Error).Time("retry_at", next.NotBefore).Msg("attempt failed; retry queued")
			} else {
				log.Debug().Str("state", string(done.State)).Int("exit_code", code).Str("error", done.Error).Msg("attempt finished")
			}
			return
		case errors.Is(err, store.ErrConnection):
			// Outcome unknown: retry the same transaction, but only on the same
			// session; if the first try landed, the retry finds the assignment
			// gone and the check below sees it.
			if !awaitSession() {
				return
			}
			if try > 0 {
				// Connected, yet the write keeps failing: do not hammer.
				if !sleepCtx(ctx, pause) {
					return
				}
				pause = min(2*pause, restartMax)
			}
		case errors.Is(err, store.ErrNoNode) || errors.Is(err, store.ErrBadVersion):
			if try > 0 && w.landed(task.ID, task.Attempt, next != nil, out.Ended) {
				posted = true
				log.Info().Msg("report confirmed after reconnect")
				return
			}
			ok, st, serr := w.st.Exists(path)
			if errors.Is(serr, store.ErrConnection) {
				// Whether the assignment stands is unknown: ask again on
				// the same session rather than leave it held for good.
				if !awaitSession() {
					return
				}
				continue
			}
			if serr != nil {
				// The store closed under it, or refused the look: whether
				// the assignment stands is not known, and not "withdrawn".
				log.Warn().Err(err).AnErr("check", serr).Msg("report failed; cannot tell whether the assignment stands")
				return
			}
			if ok && st.Version == version {
				// Still ours as we left it: what failed was elsewhere (a
				// bucket deleted under the write). Try again, paced.
				log.Warn().Err(err).Msg("report failed; the assignment stands: retrying")
				if !sleepCtx(ctx, pause) {
					return
				}
				pause = min(2*pause, restartMax)
				continue
			}
			if ok && w.writtenOver(log, path, task) {
				return
			}
			log.Warn().Err(err).Msg("report rejected: assignment withdrawn")
			w.keepCancelledOutput(log, task, out) // cancelled as it ended
			return
		case errors.Is(err, store.ErrNodeExists):
			// The assignment stands, yet the record this report would write
			// is there: the task ran elsewhere too (queued twice) and ended
			// or went back to the queue there. This outcome cannot be filed;
			// the assignment goes, or the slot would stay taken for ever.
			log.Error().Err(err).Msg("report refused: the task's record exists already (it ran twice); this outcome is dropped")
			w.dropAssignment(ctx, log, task.ID, path, version, sess)
			return
		case ctx.Err() != nil:
			// Withdrawn or stopping before the write was queued.
			log.Warn().Str("why", context.Cause(ctx).Error()).Msg("attempt not reported: stopped")
			return
		default:
			log.Error().Err(err).Msg("report failed")
			return
		}
	}
}

// fitRecord makes sure rec encodes into one znode, with extra bytes of other
// writes in the same request, halving its output tails (keeping their ends,
// on rune boundaries) while it is too large, and returns it encoded. A spec
// near the size limit plus two full tails can exceed it; an outcome that
// cannot be written would leave its assignment running forever.
func fitRecord(rec *store.Task, extra int) ([]byte, error) {
	for {
		data, err := store.Encode(rec)
		if err == nil && len(data)+extra > store.MaxRecordSize {
			err = fmt.Errorf("%d bytes and %d of writes that make it at its version: %w", len(data), extra, store.ErrTooLarge)
		}
		if err == nil {
			return data, nil
		}
		if !errors.Is(err, store.ErrTooLarge) || rec.Stdout == "" && rec.Stderr == "" {
			return nil, fmt.Errorf("encode outcome of %s: %w", rec.ID, err)
		}
		// A text takes at least its length in a record, so each pass at
		// least halves it.
		rec.Stdout = store.ClipTail(rec.Stdout, len(rec.Stdout)/2)
		rec.Stderr = store.ClipTail(rec.Stderr, len(rec.Stderr)/2)
	}
}

// landed checks whether an earlier try of a report was applied: the
// task's record, where the report put it or wherever it went since (a
// retry's queue item may have been placed already, a result retried or
// pruned), holds this worker's entry for the attempt. (Another worker's
// outcome is there when the leader withdrew the assignment and placed the
// task again.)
func (w *Worker) landed(id string, attempt int, requeued bool, ended time.Time) bool {
	p := w.lay.Result(id)
	if requeued {
		p = w.lay.QueueItem(id)
	}
	var rec *store.Task
	data, _, err := w.st.Get(p)
	if err == nil {
		rec, err = store.DecodeTask(data)
	} else if errors.Is(err, store.ErrNoNode) {
		rec, _, err = w.st.LookupTask(id) // moved on since: look everywhere, once
	}
	if err != nil {
		return false
	}
	// The end time tells ours from a cancel's or the leader's entry for the
	// same attempt, written when ours did not land.
	for _, h := range slices.Backward(rec.History) {
		if h.N == attempt {
			return h.Worker == w.cfg.ID && h.FinishedAt.Equal(ended)
		}
	}
	return false
}

// loggedCmd is a command as its log line shows it: a task's argv can be as
// large as its record (a megabyte), so each argument is clipped and those
// past the first 16 are counted, not shown.
func loggedCmd(cmd []string) []string {
	const maxArgs, maxArg = 16, 256
	out := make([]string, 0, min(len(cmd), maxArgs+1))
	for i, a := range cmd {
		if i == maxArgs {
			out = append(out, fmt.Sprintf("… %d more", len(cmd)-maxArgs))
			break
		}
		out = append(out, store.Clip(a, maxArg))
	}
	return out
}

// b2i is 1 for true, 0 for false: an order's key.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
