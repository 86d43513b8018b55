package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatVersion is written into every record as "v". Decoders refuse other
// versions with ErrUnsupportedVersion so an old binary never misreads new data.
const FormatVersion = 1

var (
	// ErrMalformed marks znode data that does not decode; callers quarantine it.
	ErrMalformed = errors.New("malformed record")
	// ErrUnsupportedVersion marks a record written by an unknown format version.
	ErrUnsupportedVersion = errors.New("unsupported record version")
)

// MaxRecordSize is the largest record Drover writes into one znode. ZooKeeper's
// default jute.maxbuffer is 1 MiB for a whole request; the rest is headroom for
// the transaction around it.
const MaxRecordSize = 960 * 1024

// MaxSpecSize is the largest task a submit accepts, encoded. The rest of
// MaxRecordSize is left for what a task gathers on its way: its attempt
// history (bounded by Retries + MaxLostAttempts + MaxUnstarted entries, and
// one attempt and MaxLostAttempts more for each drover retry, of at most
// ~600 bytes each, see MaxAttemptError, the last AttemptsWithTail that ran
// with up to
// 2 × AttemptTail of output besides) and the result's output tails
// (shortened to fit).
const MaxSpecSize = 256 * 1024

// MaxRetries bounds a task's Retries.
const MaxRetries = 1000

// MaxAttemptError bounds the error text an Attempt keeps, so history grows by
// a bounded amount per attempt.
const MaxAttemptError = 256

// MaxResultError bounds a result's error text: a Go handler's error can
// carry a whole response body, and a result must fit in one znode.
const MaxResultError = 4 << 10

// ClipTail keeps the end of s that takes at most n bytes in a record (see
// encodedLen), from a rune boundary.
func ClipTail(s string, n int) string {
	if len(s) <= n/6 || encodedLen(s) <= n {
		return s
	}
	size := 0
	start := len(s)
	for start > 0 {
		r, w := utf8.DecodeLastRuneInString(s[:start])
		c := runeCost(r, w)
		if size+c > n {
			break
		}
		size += c
		start -= w
	}
	return s[start:]
}

// Clip cuts s so that it takes at most n bytes in a record, on a rune
// boundary, ending it with "…" when it was cut.
func Clip(s string, n int) string {
	if len(s) <= n/6 || encodedLen(s) <= n {
		return s
	}
	size, end := len("…"), 0
	for end < len(s) {
		r, w := utf8.DecodeRuneInString(s[end:])
		c := runeCost(r, w)
		if size+c > n {
			break
		}
		size += c
		end += w
	}
	return s[:end] + "…"
}

// encodedLen is how many bytes s takes in a record, between its quotes:
// encoding/json escapes <, > and & as \u003c and the like (6 bytes),
// control characters and invalid bytes too. Without that reckoning a text
// of n bytes could take 6n.
func encodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		n += runeCost(r, w)
		i += w
	}
	return n
}

// runeCost is what rune r, of w bytes in its text, takes in a record (at
// most: some control characters take 2).
func runeCost(r rune, w int) int {
	switch {
	case r == utf8.RuneError && w == 1, r < 0x20 && r != '\n' && r != '\r' && r != '\t',
		r == '<', r == '>', r == '&', r == '\u2028', r == '\u2029':
		return 6
	case r < 0x20, r == '"', r == '\\':
		return 2
	}
	return w
}

// OutputTail is how much of each of stdout and stderr a result keeps.
const OutputTail = 64 * 1024

// State is a task's lifecycle state.
type State string

const (
	StateQueued    State = "queued"
	StateAssigned  State = "assigned"
	StateRunning   State = "running"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
	StateCancelled State = "cancelled"
	StateDead      State = "dead"
)

// Terminal reports whether s is a final state.
func (s State) Terminal() bool {
	switch s {
	case StateSucceeded, StateFailed, StateCancelled, StateDead:
		return true
	}
	return false
}

// ParseState validates a state name.
func ParseState(s string) (State, error) {
	switch st := State(s); st {
	case StateQueued, StateAssigned, StateRunning, StateSucceeded, StateFailed, StateCancelled, StateDead:
		return st, nil
	}
	return "", fmt.Errorf("state %q: want queued|assigned|running|succeeded|failed|cancelled|dead", s)
}

// Priority orders queued tasks: high before normal before low, FIFO within one.
type Priority int

const (
	PriorityLow    Priority = -1
	PriorityNormal Priority = 0
	PriorityHigh   Priority = 1
)

func (p Priority) String() string {
	switch p {
	case PriorityLow:
		return "low"
	case PriorityHigh:
		return "high"
	}
	return "normal"
}

// ParsePriority accepts low, normal (or empty) and high.
func ParsePriority(s string) (Priority, error) {
	switch s {
	case "low":
		return PriorityLow, nil
	case "", "normal":
		return PriorityNormal, nil
	case "high":
		return PriorityHigh, nil
	}
	return 0, fmt.Errorf("priority %q: want low|normal|high", s)
}

// MarshalText and UnmarshalText make a priority a JSON string ("high");
// as text rather than JSON methods, encoding/json need not re-check the output.
// (A JSON null leaves a priority as it was; records decode into new values,
// so it reads as normal.)
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (p *Priority) UnmarshalText(b []byte) error {
	v, err := ParsePriority(string(b))
	*p = v
	return err
}

// Millis is a duration encoded as integer milliseconds.
type Millis int64

// WantDuration says what a duration that does not parse should have been,
// in every error about one (flags, config files, submit -f, @every specs):
// time.ParseDuration's own text names units the user never typed.
const WantDuration = "want a duration such as 90s, 5m or 1h30m"

// Duration is m as a duration, the longest one for an m beyond it.
func (m Millis) Duration() time.Duration {
	if m > Millis(math.MaxInt64/time.Millisecond) {
		return math.MaxInt64
	}
	return time.Duration(m) * time.Millisecond
}

// MillisOf converts a duration, rounding up so a positive duration stays
// positive (without overflowing near the longest duration, which turned
// into a negative one).
func MillisOf(d time.Duration) Millis {
	m := d / time.Millisecond
	if d%time.Millisecond > 0 {
		m++
	}
	return Millis(m)
}

// Attempt is one finished run of a task.
type Attempt struct {
	N          int       `json:"n"`
	Worker     string    `json:"worker"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at"`
	ExitCode   int       `json:"exit_code"`
	// Error says why the attempt ended without an exit code of its own (timeout,
	// worker lost, could not start).
	Error string `json:"error,omitempty"`
	// Lost marks an attempt cut short by the loss of its worker (or the
	// withdrawal of its assignment): it does not count against Retries.
	Lost bool `json:"lost,omitempty"`
	// Cancelled marks an attempt a cancel cut short (drover cancel, a
	// replace schedule's next slot): no failure, and no loss. (It counted
	// as a failure: a task cancelled in its one run and retried ended dead
	// on its first failure, its retries never used.)
	Cancelled bool `json:"cancelled,omitempty"`
	// Unstarted marks an attempt placed and never started: a draining
	// worker gave it back (a prefetched task still waiting for a slot), or
	// its worker was lost before it marked it running, or a cancel ended it
	// there (Cancelled too). No failure, and no
	// loss: a task prefetched onto workers that kept dying lost its 20
	// attempts without ever running. At most MaxUnstarted a task; past
	// them such an attempt counts as lost, as it did before 2026-12-05.
	Unstarted bool `json:"unstarted,omitempty"`
	// Epoch is the leader epoch that placed the attempt (the record's
	// Epoch as it ended; 0 from older releases): a leader whose placement's
	// reply was lost tells by it whether its placement landed, after
	// another leader withdrew the attempt. (Added within format 1.)
	Epoch int64 `json:"epoch,omitempty"`
	// Stdout and Stderr are the ends of the attempt's output (AttemptTail
	// bytes each), kept for the last AttemptsWithTail attempts that ran.
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	// StdoutBytes and StderrBytes are how many bytes the attempt wrote to
	// each (0: none, or not known: an older worker's, or no process's): a
	// reader of a tail tells by them whether the start was cut. (Added
	// 2026-12-05.)
	StdoutBytes int64 `json:"stdout_bytes,omitempty"`
	StderrBytes int64 `json:"stderr_bytes,omitempty"`
}

// AttemptTail is how much of each of stdout and stderr an attempt in a
// task's history keeps, and AttemptsWithTail how many of the last attempts
// keep it: bounded, so that a task of MaxRetries retries still fits one
// znode. The result keeps OutputTail of its last attempt's output besides.
const (
	AttemptTail      = 2 << 10
	AttemptsWithTail = 10
)

// Task is the one record a task carries through its life: the spec the user
// submitted plus lifecycle fields. Where the record lives (queue, a worker's
// assignments, results) decides its state; the State field mirrors it for readers.
type Task struct {
	V int `json:"v"`

	// Spec, fixed at submit.
	ID   string   `json:"id,omitzero"` // (a schedule's template has none, nor a submit time, state or attempt)
	Name string   `json:"name,omitempty"`
	Cmd  []string `json:"cmd,omitempty"`
	// Handler names a Go handler registered on workers (instead of Cmd);
	// Payload is its input.
	Handler string            `json:"handler,omitempty"`
	Payload []byte            `json:"payload,omitempty"`
	Shell   bool              `json:"shell,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Retries int               `json:"retries"`
	// NoRetryExit lists a command's exit codes that end the task at that
	// attempt, retries left or not: failures no retry mends (a usage
	// error). A handler says so with worker.ErrSkipRetry instead. Sorted,
	// each once (client TaskSpec.Task); a release before this ignores it
	// and retries.
	NoRetryExit []int `json:"no_retry_exit,omitempty"`
	// Backoff, when set, is the task's own delay before its first retry
	// after a failure, doubled for each one after, up to the cluster's
	// cap, or 1 to 1.2 times itself when at or above it (Backoff.For); a
	// release before this ignores it and waits the cluster's.
	Backoff     Millis            `json:"backoff_ms,omitempty"`
	Timeout     Millis            `json:"timeout_ms,omitempty"`
	On          map[string]string `json:"on,omitempty"`
	Priority    Priority          `json:"priority"`
	Key         string            `json:"key,omitempty"`
	SubmittedAt time.Time         `json:"submitted_at,omitzero"`
	// After lists tasks that must end succeeded before this one's first
	// attempt is placed (submit --after): the leader holds it queued
	// until each has its result, and ends it cancelled (DependencyFailed)
	// when one ended otherwise or is found nowhere. Later attempts are
	// not held: the first was placed only once they had succeeded. Sorted,
	// each once, at most MaxAfter; a release before this ignores it and
	// places the task at once.
	After []string `json:"after,omitempty"`

	// Lifecycle.
	State     State     `json:"state,omitzero"`
	Attempt   int       `json:"attempt,omitzero"` // current (or last) attempt, 1-based
	NotBefore time.Time `json:"not_before,omitzero"`
	History   []Attempt `json:"history,omitempty"` // finished attempts, oldest first
	// StartBy, when set, is the latest time the task's first attempt may
	// start (be placed, by the leader's clock): the leader sets it on a
	// slot's task of a schedule with a starting deadline (the slot plus
	// the deadline), and ends a first attempt still queued then as
	// cancelled (NotStartedInTime) instead of placing it. Later attempts
	// (a retry after a failure, an attempt queued again from a lost
	// worker that had started it) are not bound by it: the slot started in
	// time; one after attempts that all ended unstarted is (StartByBinds);
	// drover retry
	// clears it (runs the task now). A release before this ignores it,
	// and drops it when it rewrites the record.
	StartBy time.Time `json:"start_by,omitzero"`
	// RetriedAt is when a retry (drover retry) last queued the finished
	// task again. The task keeps it as it moves on, so a retry whose reply
	// was lost knows its own write by it.
	RetriedAt time.Time `json:"retried_at,omitzero"`
	// Gen counts the retries (client Retry) that queued the task again; its
	// queue items and result are made at versions that grow with it (see
	// EnqueuedVersionOf, FinishedVersionOf). A cancel deletes a queued item
	// behind the leader's back: the retry's item must not match the version
	// of one the leader may still hold, or the leader's placement, which
	// deletes the item at the version it read, would take it for that one;
	// nor may a result a retry deletes match a later one. (Releases before
	// 2026-12-04 counted only the retries since the task was last placed.)
	Gen int `json:"gen,omitempty"`
	// RetryLimit, once a retry (drover retry) set it, is how many failures
	// the task may have had and still go back to the queue, in place of
	// Retries: that retry grants one more attempt. Retries stays as
	// submitted, and names the end: failed for a task submitted without
	// retries, dead for one whose retries ran out.
	RetryLimit *int `json:"retry_limit,omitempty"`
	// LostBefore, once a retry (drover retry) set it, is how many attempts
	// the task had lost with their workers before that retry: they do not
	// count against MaxLostAttempts, so a task that died of losses runs
	// again, and a loss of its retried attempt queues it once more. A
	// release before this counts them all: such a retried attempt, lost,
	// ends the task.
	LostBefore int `json:"lost_before,omitempty"`

	// Placement: set while assigned or running.
	Worker     string    `json:"worker,omitempty"`
	Reg        int64     `json:"reg,omitempty"`   // the worker registration's czxid
	Epoch      int64     `json:"epoch,omitempty"` // the leader epoch that placed it
	AssignedAt time.Time `json:"assigned_at,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`

	// Outcome: set in results.
	ExitCode   *int      `json:"exit_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	Stdout     string    `json:"stdout,omitempty"`
	Stderr     string    `json:"stderr,omitempty"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// Clone returns a deep copy of t's slices and maps, so lifecycle edits of a copy
// never alias the original.
func (t *Task) Clone() *Task {
	c := *t
	c.Cmd = append([]string(nil), t.Cmd...)
	c.Payload = append([]byte(nil), t.Payload...)
	c.History = append([]Attempt(nil), t.History...)
	c.NoRetryExit = slices.Clone(t.NoRetryExit)
	c.After = slices.Clone(t.After)
	c.Env = cloneMap(t.Env)
	c.On = cloneMap(t.On)
	if t.ExitCode != nil {
		v := *t.ExitCode
		c.ExitCode = &v
	}
	if t.RetryLimit != nil {
		v := *t.RetryLimit
		c.RetryLimit = &v
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// MaxAttempts is the most runs that may fail: 1 + Retries, or 1 +
// RetryLimit once a retry set it.
func (t *Task) MaxAttempts() int { return 1 + t.retryLimit() }

func (t *Task) retryLimit() int {
	if t.RetryLimit != nil {
		return *t.RetryLimit
	}
	return t.Retries
}

// RetriesLeft is how many more attempts the task gets if its current
// attempt fails: 0 on its last try. Only failures count (a lost or
// unstarted attempt does not), and a failure that skips retries
// (worker.ErrSkipRetry) or a cancel ends the task whatever it says. Of a
// task not finished (queued, assigned, running): a finished one's History
// holds its last attempt, which Failures counts whatever its outcome.
func (t *Task) RetriesLeft() int {
	return max(0, t.retryLimit()-t.Failures())
}

// SkipsRetryOn reports whether a command that exited with code ends the
// task at that attempt (NoRetryExit).
func (t *Task) SkipsRetryOn(code int) bool {
	return code > 0 && slices.Contains(t.NoRetryExit, code)
}

// MaxNoRetryExit bounds NoRetryExit: every exit code a program can return
// once.
const MaxNoRetryExit = 255

// StartByBinds reports whether t, queued, must be placed by its StartBy:
// only a first attempt is bound, or a later one while every earlier ended
// unstarted (Attempt.Unstarted): none started, so the slot has not.
func (t *Task) StartByBinds() bool {
	return !t.StartBy.IsZero() && (t.Attempt <= 1 || len(t.History) > 0 && t.Unstarted() == len(t.History))
}

// MayWait reports whether t may wait on a worker for a slot (prefetched):
// not with a timeout, which the leader counts from the placement, nor
// bound by a starting deadline. A worker gives its free slots to those
// that may not first.
func (t *Task) MayWait() bool { return t.Timeout <= 0 && !t.StartByBinds() }

// MaxAfter bounds Task.After: a task waits for at most this many others.
const MaxAfter = 32

// DependencyFailed is the error of a task the leader ended, cancelled,
// before its first attempt because a task it was to run after (Task.After)
// ended other than succeeded, or was found nowhere (its result pruned or
// moved aside): "dependency ID ended failed", "dependency ID not found".
func DependencyFailed(id, why string) string { return "dependency " + id + " " + why }

// NotStartedInTime is the error of a task the leader ended, cancelled,
// because its first attempt was still queued at its StartBy; a schedule's
// history files its run as missed for it.
const NotStartedInTime = "not started by its starting deadline"

// MaxLostAttempts bounds how often a task may lose its worker before it is
// declared dead, so a task that crashes every worker it lands on cannot loop.
const MaxLostAttempts = 20

// Losses counts the attempts lost with their workers (see Attempt.Lost).
func (t *Task) Losses() int { return t.count(func(a Attempt) bool { return a.Lost }) }

// count counts the attempts in History that f says yes to.
func (t *Task) count(f func(Attempt) bool) int {
	n := 0
	for _, a := range t.History {
		if f(a) {
			n++
		}
	}
	return n
}

// UnforgivenLosses counts the losses since the last retry (drover retry)
// forgave those before it (LostBefore): what MaxLostAttempts and the backoff
// after a loss go by.
func (t *Task) UnforgivenLosses() int { return t.Losses() - t.LostBefore }

// Failures counts finished attempts that ran and failed (not lost ones,
// nor ones a cancel cut short, nor ones that never started).
func (t *Task) Failures() int {
	return t.count(func(a Attempt) bool { return !a.Lost && !a.Cancelled && !a.Unstarted })
}

// MaxUnstarted bounds the attempts of a task that may end unstarted (see
// Attempt.Unstarted), as MaxLostAttempts bounds losses, so that its
// history and the writes that queue it (one per attempt:
// EnqueuedVersionOf) stay bounded: the longest history still fits a
// record (TestSpecLeavesRoomForHistory).
const MaxUnstarted = 20

// Unstarted counts the attempts that ended unstarted (Attempt.Unstarted).
func (t *Task) Unstarted() int { return t.count(func(a Attempt) bool { return a.Unstarted }) }

// LastRan is the index in History of the last attempt that started (one
// that ended unstarted ran nowhere), -1 when none did.
func (t *Task) LastRan() int {
	for i := len(t.History) - 1; i >= 0; i-- {
		if !t.History[i].Unstarted {
			return i
		}
	}
	return -1
}

// MayEndUnstarted says whether the task's current attempt, never started,
// may end as unstarted (Attempt.Unstarted) rather than lost.
func (t *Task) MayEndUnstarted() bool { return t.Unstarted() < MaxUnstarted }

// AddAttempt appends a finished attempt to History, its error text cut to
// MaxAttemptError bytes (on a rune boundary) and its output to the last
// AttemptTail bytes; the attempts before the last AttemptsWithTail lose
// their output.
func (t *Task) AddAttempt(a Attempt) {
	if a.Epoch == 0 {
		a.Epoch = t.Epoch // t is the record of the placed attempt ending
	}
	a.Error = Clip(a.Error, MaxAttemptError)
	a.Stdout, a.Stderr = ClipTail(a.Stdout, AttemptTail), ClipTail(a.Stderr, AttemptTail)
	// The last AttemptsWithTail attempts that ran keep theirs (one that
	// never started has none, and takes no place).
	kept := 0 // the attempts that ran and keep theirs, a among them
	if !a.Unstarted {
		kept = 1
	}
	for i := len(t.History) - 1; i >= 0; i-- {
		if t.History[i].Unstarted {
			continue
		}
		if kept < AttemptsWithTail {
			kept++
			continue
		}
		t.History[i].Stdout, t.History[i].Stderr = "", ""
	}
	t.History = append(t.History, a)
}

// KeepLastOutput keeps the end of the last attempt's output in History
// (AttemptTail of each stream), for a record that goes back to the queue. A
// finished task's record holds that output as its own Stdout and Stderr
// instead, longer, and its History leaves it out.
func (t *Task) KeepLastOutput(stdout, stderr string) {
	last := &t.History[len(t.History)-1]
	last.Stdout, last.Stderr = ClipTail(stdout, AttemptTail), ClipTail(stderr, AttemptTail)
}

// FailedState is the end of a task whose last attempt failed (appended to
// History) with no retry to come: dead when the retries it was submitted
// with are used up, failed when it had none, or when the one more attempt
// a retry (drover retry) granted failed before they were (a cancel cut
// them short).
func (t *Task) FailedState() State {
	if t.Retries > 0 && t.Failures() > t.Retries {
		return StateDead
	}
	return StateFailed
}

// ShouldRetry says, after the last attempt was appended to History, whether the
// task goes back to the queue: its failures are within Retries (RetryLimit,
// once set) and it has not lost its worker too often.
func (t *Task) ShouldRetry() bool {
	return t.Failures() <= t.retryLimit() && t.UnforgivenLosses() < MaxLostAttempts
}

// Validate checks a task spec before it is written: a client's submit, and
// a schedule's template (Schedule.CheckTemplate). It is validRun and the
// rules a client has gained over time (see validSubmit).
func (t *Task) Validate() error {
	if err := t.validRun(); err != nil {
		return err
	}
	return t.validSubmit()
}

// validSubmit holds the rules a client applies to what it writes that a
// record written earlier, by a release without them, may break and still
// run as it always did: a schedule's template is read with validRun only
// (Schedule.CheckFireable), or an upgrade would move schedules in use
// aside.
func (t *Task) validSubmit() error {
	// A setting of the other kind of task would be kept and never used.
	if len(t.Cmd) > 0 && len(t.Payload) > 0 {
		return errors.New("payload is for handler tasks: a command does not receive it (use env or its arguments)")
	}
	if t.Handler != "" && t.Shell {
		return errors.New("shell is for command tasks, not handlers")
	}
	if t.Handler != "" && len(t.NoRetryExit) > 0 {
		return errors.New("no_retry_exit is for command tasks: a handler returns an error wrapping worker.ErrSkipRetry")
	}
	if b := t.Backoff.Duration(); t.Backoff < 0 || b > MaxTaskBackoff {
		return fmt.Errorf("backoff %v: want 1ms to %v (0: the cluster's)", b, MaxTaskBackoff)
	}
	if len(t.NoRetryExit) > MaxNoRetryExit {
		return fmt.Errorf("no_retry_exit: %d codes: want at most %d", len(t.NoRetryExit), MaxNoRetryExit)
	}
	for _, c := range t.NoRetryExit {
		if c < 1 || c > 255 {
			return fmt.Errorf("no_retry_exit %d: want exit codes 1..255", c)
		}
	}
	if len(t.After) > MaxAfter {
		return fmt.Errorf("after: %d tasks: want at most %d", len(t.After), MaxAfter)
	}
	for _, id := range t.After {
		if err := ValidateTaskID(id); err != nil {
			return fmt.Errorf("after: %w", err)
		}
		if id == t.ID {
			return fmt.Errorf("after %s: a task cannot wait for itself", id)
		}
	}
	if !t.StartBy.IsZero() {
		// The leader's, on a slot's task (a template's would be
		// overridden at every slot); a submit's is set from its
		// starting deadline after this check (client TaskSpec.Task).
		return errors.New("start_by is set from a starting deadline (a schedule's, or a submit's), not given")
	}
	// The leader holds a queued task's labels and program for as long as
	// it is queued, even when it keeps none of the rest of its record:
	// 100 KiB of labels a task held 100 KiB of its heap each.
	if n := LabelBytes(t.On); n > MaxLabelBytes {
		return fmt.Errorf("labels (on): %d bytes: want at most %d", n, MaxLabelBytes)
	}
	if p := t.Program(); len(p) > MaxProgram { // a shell task's is /bin/sh, not its script
		return fmt.Errorf("program: %d bytes: want at most %d (PATH_MAX: the kernel runs no longer path)", len(p), MaxProgram)
	}
	for k := range t.Env {
		if strings.HasPrefix(k, "DROVER_") {
			// A task must be able to trust them (DROVER_SCHEDULE says a
			// schedule fired it); workers and the leader set them.
			return fmt.Errorf("env %s: DROVER_ names are Drover's own", k)
		}
	}
	// A handler's too, though a Go handler takes it (validRun refuses it
	// for a command): clients refuse it for either kind since 45fd24a, and
	// what clients of 1ade078..45fd24a wrote runs on.
	return envWithoutNUL(t.Env)
}

// MaxLabelBytes bounds a submitted task's labels (keys and values), and
// MaxProgram its program's name: the leader holds both of every queued task.
const (
	MaxLabelBytes = 4096
	MaxProgram    = 4096
)

// MaxWorkerLabelBytes bounds a worker's labels (keys and values): with its
// allow-lists (MaxAllowBytes each) and handlers, its registration must fit
// a record.
const MaxWorkerLabelBytes = 64 << 10

// LabelBytes is the size of labels: their keys' and values' bytes.
func LabelBytes(labels map[string]string) int {
	n := 0
	for k, v := range labels {
		n += len(k) + len(v)
	}
	return n
}

// envWithoutNUL refuses an env value with a NUL byte.
func envWithoutNUL(env map[string]string) error {
	for k, v := range env {
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("env %s: contains a NUL byte", k)
		}
	}
	return nil
}

// validRun checks what a task must hold to be run at all: an id, a command
// or a handler and not both, names, labels and env names that are names,
// no NUL byte where a process cannot take one (a command's arguments and
// env: execve; a Go handler takes one), retries and timeout in range.
func (t *Task) validRun() error {
	if err := ValidateTaskID(t.ID); err != nil {
		return err
	}
	switch {
	case t.Handler != "" && len(t.Cmd) > 0:
		return errors.New("task has both a command and a handler")
	case t.Handler != "":
		if err := ValidateName(t.Handler); err != nil {
			return fmt.Errorf("handler: %w", err)
		}
	case len(t.Cmd) == 0 || t.Cmd[0] == "":
		return errors.New("task has no command")
	}
	if t.Name != "" {
		if err := ValidateName(t.Name); err != nil {
			return fmt.Errorf("task name: %w", err)
		}
	}
	if t.Retries < 0 || t.Retries > MaxRetries {
		return fmt.Errorf("retries %d: want 0..%d", t.Retries, MaxRetries)
	}
	if t.RetryLimit != nil && *t.RetryLimit < 0 {
		return fmt.Errorf("retry_limit %d: must not be negative", *t.RetryLimit)
	}
	if t.Timeout < 0 {
		return fmt.Errorf("timeout %v: must not be negative", t.Timeout.Duration())
	}
	for k, v := range t.On {
		if err := ValidateName(k); err != nil {
			return fmt.Errorf("label %q: %w", k, err)
		}
		if err := ValidateName(v); err != nil {
			return fmt.Errorf("label %s=%q: its value: %w", k, v, err)
		}
	}
	for k := range t.Env {
		if !ValidEnvName(k) {
			return fmt.Errorf("env name %q: want letters, digits and '_', not starting with a digit", k)
		}
	}
	if t.Handler == "" {
		if err := envWithoutNUL(t.Env); err != nil {
			return err
		}
	}
	for i, a := range t.Cmd {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("command argument %d contains a NUL byte (a process cannot be given one)", i)
		}
	}
	return nil
}

// ValidEnvName reports whether s is a variable name a process can be given:
// letters, digits and _, not starting with a digit. A key with "=" would
// set another variable than the one it names.
func ValidEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// WorkerInfo is a worker's registration record.
type WorkerInfo struct {
	V        int               `json:"v"`
	ID       string            `json:"id"`
	Host     string            `json:"host"`
	PID      int               `json:"pid"`
	Labels   map[string]string `json:"labels,omitempty"`
	Capacity int               `json:"capacity"`
	// Prefetch is how many assignments beyond Capacity the leader may
	// place on the worker, to wait there for a free slot: the next tasks
	// are at hand when one ends, instead of a leader's round of
	// ZooKeeper writes and reads later. Only tasks that can wait take
	// them (no timeout, no starting deadline). Older releases leave it
	// out (none), and older leaders ignore it.
	Prefetch int `json:"prefetch,omitempty"`
	// Handlers are the Go handlers this worker runs (tasks naming one go only
	// to workers that have it).
	Handlers []string `json:"handlers,omitempty"`
	// NoCommands: this worker runs only its Go handlers, and no command
	// task is placed on it. (Absent in a registration: it runs commands.)
	NoCommands bool `json:"no_commands,omitempty"`
	// Allow is the worker's allow-list of programs (see MayAllow); empty,
	// any program.
	Allow []string `json:"allow,omitempty"`
	// AllowEnv is the worker's patterns for a command task's variable
	// names (see EnvPolicy); empty, any name but the unsafe ones with an
	// Allow list. EnvRule says the registration carries that rule: workers
	// older than 2026-12-05 leave both out, and the leader then takes every
	// name for admitted (one of them started with --allow-env PATH runs a
	// task setting PATH).
	AllowEnv  []string  `json:"allow_env,omitempty"`
	EnvRule   bool      `json:"env_rule,omitempty"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	Draining  bool      `json:"draining,omitempty"`
	// Token is random, one per Worker: it tells a worker's own registration
	// from that of another Worker of the same id whose session it shares
	// (two Workers on one Store). Older releases leave it out, and ignore
	// it.
	Token string `json:"token,omitempty"`
}

// Candidate is a scheduler's election record.
type Candidate struct {
	V    int    `json:"v"`
	ID   string `json:"id"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Token is random, one per candidate (an Election): it tells a
	// candidate's own znodes from those of another of the same id, host
	// and process, whose session it may share (two Schedulers on one
	// Store). Older releases leave it out, and ignore it.
	Token string `json:"token,omitempty"`
	// Version is the scheduler's release (drover leader shows it, to check
	// an upgrade went round). Older releases leave it out, and ignore it.
	Version string `json:"version,omitempty"`
	// HTTP is the URL its dashboard, API and metrics are served at
	// (--http), for drover leader to point an operator at; empty when it
	// serves none. Older releases leave it out, and ignore it.
	HTTP string `json:"http,omitempty"`
}

// EpochRecord is the content of <root>/epoch.
type EpochRecord struct {
	V      int       `json:"v"`
	Epoch  int64     `json:"epoch"`
	Leader string    `json:"leader"`
	Since  time.Time `json:"since"`
}

// KeyRecord maps an idempotency key to the task that first used it.
type KeyRecord struct {
	V    int    `json:"v"`
	Task string `json:"task"`
}

// Deadletter describes data moved aside because it did not decode.
type Deadletter struct {
	V      int       `json:"v"`
	From   string    `json:"from"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	Data   []byte    `json:"data"`
}

// KeyHash turns an idempotency key of any content into a znode-safe name.
func KeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// ValidKeyHash reports whether h is what KeyHash makes: 32 lower-case hex
// digits.
func ValidKeyHash(h string) bool {
	if len(h) != 32 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Encode marshals a record, stamping the format version.
func Encode(rec interface{ setV() }) ([]byte, error) {
	rec.setV()
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("record of %d bytes exceeds the %d-byte limit: %w", len(b), MaxRecordSize, ErrTooLarge)
	}
	return b, nil
}

// EncodeSpec encodes a task about to be submitted, refusing one larger than
// MaxSpecSize: it must leave room for the history and output it gathers.
func EncodeSpec(t *Task) ([]byte, error) {
	b, err := Encode(t)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSpecSize {
		return nil, fmt.Errorf("task of %d bytes exceeds the %d-byte limit for a submitted task: %w", len(b), MaxSpecSize, ErrTooLarge)
	}
	return b, nil
}

// ErrTooLarge marks a record that cannot fit in one znode.
var ErrTooLarge = errors.New("record too large")

func (t *Task) setV()        { t.V = FormatVersion }
func (w *WorkerInfo) setV()  { w.V = FormatVersion }
func (c *Candidate) setV()   { c.V = FormatVersion }
func (e *EpochRecord) setV() { e.V = FormatVersion }
func (k *KeyRecord) setV()   { k.V = FormatVersion }
func (d *Deadletter) setV()  { d.V = FormatVersion }

// Decode unmarshals data into rec, refusing malformed data and unknown versions.
func Decode(data []byte, rec any) error {
	if err := peekVersion(data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, rec); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return reencodes(data, rec)
}

// reencodes refuses as malformed a record whose time has a zone offset of
// 24 hours (written by hand): Go's parser takes "+24:00", its encoder does
// not, and such a record could be read but not written again: placing it
// failed at every pass, a schedule's firing ended every leader's term, and
// the API answered an empty body.
func reencodes(data []byte, rec any) error {
	if !dayOffset(data) {
		return nil // the rule: no encode on the hot path
	}
	if _, err := json.Marshal(rec); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// dayOffset reports whether data holds a string ending in a zone offset of
// a day or more ("+24:00", and "+23:60": the parser takes minutes to 60),
// which a time's encoder refuses. A string that merely ends so (an
// argument) costs an encode, no more.
func dayOffset(data []byte) bool {
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	for i := 6; i < len(data); i++ {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return false
		}
		i += j             // at least 6: the search starts there
		o := data[i-6 : i] // "+HH:MM"
		if (o[0] == '+' || o[0] == '-') && digit(o[1]) && digit(o[2]) && o[3] == ':' && digit(o[4]) && digit(o[5]) &&
			int(o[1]-'0')*600+int(o[2]-'0')*60+int(o[4]-'0')*10+int(o[5]-'0') >= 24*60 {
			return true
		}
	}
	return false
}

// peekVersion checks the "v" of a record before it is decoded as a type.
func peekVersion(data []byte) error {
	var head struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return checkVersion(head.V)
}

// checkVersion checks a record's "v" (nil: absent).
func checkVersion(v *int) error {
	if v == nil {
		return fmt.Errorf("%w: no format version", ErrMalformed)
	}
	if *v < 1 {
		// No release wrote it: not a newer one's record, to be left for it,
		// but bad data, to be moved aside.
		return fmt.Errorf("%w: format version %d", ErrMalformed, *v)
	}
	if *v != FormatVersion {
		return fmt.Errorf("%w: v=%d, this build reads v=%d", ErrUnsupportedVersion, *v, FormatVersion)
	}
	return nil
}

// DecodeTask decodes and sanity-checks a task record.
func DecodeTask(data []byte) (*Task, error) {
	// One pass, as Decode takes two: task records are read on the hot path.
	// The outer V shadows Task's, so an absent "v" stays nil.
	t := new(Task)
	wire := struct {
		*Task
		V *int `json:"v"`
	}{Task: t}
	if err := json.Unmarshal(data, &wire); err != nil {
		// Rare: decode again as Decode does, for its classification (a newer
		// format need not fit Task) and its error text (no wrapper in it).
		if derr := Decode(data, new(Task)); derr != nil {
			return nil, derr
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := checkVersion(wire.V); err != nil {
		return nil, err
	}
	if err := reencodes(data, t); err != nil {
		return nil, err
	}
	t.V = *wire.V
	if err := checkDecoded(t); err != nil {
		return nil, err
	}
	return t, nil
}

// checkDecoded sanity-checks a decoded task record.
func checkDecoded(t *Task) error {
	if err := checkVersion(&t.V); err != nil {
		return err
	}
	if err := ValidateTaskID(t.ID); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(t.Cmd) == 0 && t.Handler == "" {
		return fmt.Errorf("%w: task %s has no command", ErrMalformed, t.ID)
	}
	if t.State != "" {
		if _, err := ParseState(string(t.State)); err != nil {
			// Written by hand: printed raw by what shows a state, and
			// matched by no code path that acts on one.
			return fmt.Errorf("%w: task %s: %v", ErrMalformed, t.ID, err)
		}
	}
	if t.Handler != "" {
		if err := ValidateName(t.Handler); err != nil {
			// Written past Validate: no worker registers such a name.
			return fmt.Errorf("%w: task %s: handler: %v", ErrMalformed, t.ID, err)
		}
	}
	for k := range t.Env {
		if !ValidEnvName(k) {
			// Written past Validate (straight to ZooKeeper): "BASH_ENV=x_NAME"
			// would set BASH_ENV while an allow-list matched its key.
			return fmt.Errorf("%w: task %s has env key %q, not a variable name", ErrMalformed, t.ID, k)
		}
	}
	if t.Gen < 0 || t.Gen > MaxGen {
		// No writer goes past MaxGen (Enqueue refuses): read as it stands,
		// such a record could be neither placed again nor recovered.
		return fmt.Errorf("%w: task %s has generation %d", ErrMalformed, t.ID, t.Gen)
	}
	if t.Attempt < 1 {
		t.Attempt = 1
	}
	if t.Attempt > math.MaxInt32-MaxGen-int(EnqueuedVersion) {
		// Written by hand: the leader counts attempts in an int32, and a
		// wrapped one read as another record at every try to place it
		// (EnqueuedVersionOf adds the generation to it in an int32 too).
		return fmt.Errorf("%w: task %s has attempt %d", ErrMalformed, t.ID, t.Attempt)
	}
	// Losses a retry forgave are of the history: no more (a record written
	// by hand would lift the limit of losses for good).
	t.LostBefore = min(max(t.LostBefore, 0), t.Losses())
	return nil
}

// DecodeWorker decodes a registration record.
func DecodeWorker(data []byte) (*WorkerInfo, error) {
	var w WorkerInfo
	if err := Decode(data, &w); err != nil {
		return nil, err
	}
	if err := ValidateNodeName(w.ID); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Capacity < 0 {
		// No worker registers one (it refuses --capacity below 0): taken
		// as it is, the worker was listed as live and given nothing.
		return nil, fmt.Errorf("%w: worker %s: capacity %d", ErrMalformed, w.ID, w.Capacity)
	}
	// No more than MaxCapacity, whatever a registration (an older
	// release's) says: the leader places no more, and `drover workers`,
	// the API and the dashboard say what it places.
	w.Capacity = min(w.Capacity, MaxCapacity)
	if w.Prefetch < 0 {
		return nil, fmt.Errorf("%w: worker %s: prefetch %d", ErrMalformed, w.ID, w.Prefetch)
	}
	// Its assignments wait in its directory too: MaxCapacity bounds both.
	w.Prefetch = min(w.Prefetch, MaxCapacity-w.Capacity)
	if n := AllowBytes(w.Allow); n > MaxAllowBytes {
		return nil, fmt.Errorf("%w: worker %s: allow patterns of %d bytes in all, at most %d", ErrMalformed, w.ID, n, MaxAllowBytes)
	}
	if n := AllowBytes(w.AllowEnv); n > MaxAllowBytes {
		return nil, fmt.Errorf("%w: worker %s: allow-env patterns of %d bytes in all, at most %d", ErrMalformed, w.ID, n, MaxAllowBytes)
	}
	for _, p := range slices.Concat(w.Allow, w.AllowEnv) {
		if len(p) > MaxAllowPattern {
			// No worker registers one (CheckConfig refuses it): the
			// leader compiles each list it reads (CompileAllow), and a
			// megabyte pattern would hold its loop.
			return nil, fmt.Errorf("%w: worker %s: an allow pattern of %d bytes, at most %d", ErrMalformed, w.ID, len(p), MaxAllowPattern)
		}
	}
	return &w, nil
}

// MaxAllowPattern bounds an allow-list pattern's length, as PATH_MAX
// bounds the paths it matches.
const MaxAllowPattern = 4096

// MaxAllowBytes bounds an allow-list's patterns together (a worker's
// --allow, and its --allow-env): the leader compiles and asks each
// registration's list, whose cost grows with its bytes. 64 KiB is some
// 1,500 paths of 40 bytes.
const MaxAllowBytes = 64 << 10

// AllowBytes is the bytes of patterns together, as MaxAllowBytes counts
// them.
func AllowBytes(patterns []string) int {
	n := 0
	for _, p := range patterns {
		n += len(p)
	}
	return n
}

// Program is what a command task runs, as the task names it: its Cmd[0],
// or /bin/sh for a shell task; "" for a handler's task.
func (t *Task) Program() string {
	switch {
	case t.Handler != "" || len(t.Cmd) == 0:
		return ""
	case t.Shell:
		return "/bin/sh"
	}
	return t.Cmd[0]
}

// MayAllow says whether a worker with the allow-list patterns may run
// program (a Task.Program): the leader places a command only on workers
// that may. The worker has the last word: it matches the absolute path it
// resolves (through its PATH, or from its working directory), which only
// it knows. So here a pattern without '/' is matched against a program
// given by name alone, as the worker matches it; a pattern with '/'
// against the program when that is an absolute path, and otherwise from
// where the pattern may end a clean directory (a literal '/', an escaped
// one, or a class that can match '/', after text that can spell a clean
// absolute directory): a name against what follows, a relative path with
// a directory of its own, cleaned and without leading "../", against all
// of it ("/opt/jobs/x.sh" admits "x.sh" and "jobs/x.sh", not "bin/x.sh").
// The answer errs towards yes only where the leader cannot tell: the
// worker's directories.
// (AllowList holds the rule: compile a list once to ask it often.)
func MayAllow(patterns []string, program string) bool {
	return CompileAllow(patterns).Allows(program)
}
