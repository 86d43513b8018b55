// Package client is Drover's Go API for submitting tasks, waiting for them and
// looking at the cluster. The drover CLI is built on it.
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/user"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/drover-sched/drover/store"
)

// ErrInvalid marks input refused before anything was written.
var ErrInvalid = errors.New("invalid input")

// ErrNoLeader means no scheduler is in the election.
var ErrNoLeader = errors.New("no scheduler is running")

// Client talks to one Drover cluster through its store.
type Client struct {
	st  *store.Store
	now func() time.Time
	// zkNow is ZooKeeper's clock (Store.ZookeeperNow), for the times the
	// leader plans from; tests replace both clocks.
	zkNow func() (time.Time, error)
	// placed is where the last lookup that listed every worker's
	// assignments found each task in flight: Status, Wait, Cancel and
	// Retry of many placed tasks list them once, not once each.
	placed store.Placed
	// failFast: a look-up whose connection is lost fails at once instead of
	// waiting to ask again (NewFailFast).
	failFast bool
}

// New returns a client over an open store.
func New(st *store.Store) *Client {
	return &Client{st: st, now: time.Now, zkNow: func() (time.Time, error) { return st.ZookeeperNow("") }}
}

// NewFailFast returns a client whose look-ups of a task fail at once when
// their connection is lost (store.ErrConnection), where New's wait for the
// store to be back and ask again: for a server that answers an outage with
// a 503 its callers retry, rather than hold the request.
func NewFailFast(st *store.Store) *Client {
	c := New(st)
	c.failFast = true
	return c
}

// TaskSpec is what a user submits: one JSONL line of `drover submit -f`, e.g.
//
//	{"cmd":["./backup.sh","/data"],"name":"backup","retries":3,"timeout":"10m",
//	 "on":{"gpu":"true"},"priority":"high","key":"backup-2024-06-01",
//	 "env":{"MODE":"full"},"shell":false,"at":"2024-06-02T02:00:00Z"}
//
// In JSON, timeout and in are Go duration strings, at is RFC 3339, and
// unknown fields are an error.
type TaskSpec struct {
	Name string
	Cmd  []string
	// Handler names a Go handler registered on workers, run instead of Cmd
	// with Payload as its input.
	Handler string
	Payload []byte
	Shell   bool
	Env     map[string]string
	Retries int
	// NoRetryExit lists the command's exit codes (1..255) that end the
	// task at that attempt, retries left or not: failures no retry mends.
	// Command tasks only (a handler wraps worker.ErrSkipRetry).
	NoRetryExit []int
	// Backoff, when set, is the wait before the first retry after a
	// failure (the cluster's is 1s), doubled for each one after, with up
	// to 20% jitter, up to the cluster's cap (5m); one at or above the
	// cap keeps the retries 1 to 1.2 times it apart. 1ms to 24h.
	Backoff  time.Duration
	Timeout  time.Duration
	On       map[string]string
	Priority string // low, normal (or empty), high
	Key      string // idempotency key: a second submit returns the first task
	// At and In delay the task's first attempt: it is placed no earlier
	// than At, or than In after the submit (added to the submitting
	// host's clock; the leader holds it back by its own). One or the
	// other, at most MaxDelay ahead; a time past, by the leader's clock,
	// runs at once.
	At time.Time
	In time.Duration
	// StartingDeadline, when set, bounds how late the first attempt may
	// start: a task still queued StartingDeadline after its start (At if
	// ahead, or In after the submit, or the submit itself, by ZooKeeper's
	// clock) is ended, cancelled, with the error store.NotStartedInTime,
	// by the leader's clock, as a schedule's slot task under its starting
	// deadline is. Retries are not bound; drover retry lifts it. At least
	// a millisecond, at most MaxDelay.
	StartingDeadline time.Duration
	// After names tasks (at most store.MaxAfter, each submitted before)
	// that must end succeeded before this task's first attempt starts:
	// the leader holds it queued until they have, and ends it cancelled,
	// with the error store.DependencyFailed, once one ended otherwise
	// (failed, dead, cancelled) or is found nowhere. Submit refuses an id
	// it finds nowhere. Ids are taken in either case.
	After []string
	// AfterKey names tasks by their idempotency keys, as After does by
	// id: a key an earlier spec of the same Submit gives names that spec's
	// task (written first, then this one: a graph fits in one call, or one
	// file), any other the task the key names in the cluster (ErrInvalid
	// when none does). Resolved at submit, into the record's after ids. At
	// most store.MaxAfter with After.
	AfterKey []string
}

// MaxDelay bounds how far ahead a task's start may be put (TaskSpec.At,
// In): work later than that is a schedule's.
const MaxDelay = 366 * 24 * time.Hour

// taskSpecJSON is TaskSpec's wire form.
type taskSpecJSON struct {
	// Name is a pointer to tell "name":"" (refused) from no name.
	Name    *string           `json:"name,omitempty"`
	Cmd     []string          `json:"cmd,omitempty"`
	Handler string            `json:"handler,omitempty"`
	Payload []byte            `json:"payload,omitempty"`
	Shell   bool              `json:"shell,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Retries int               `json:"retries,omitempty"`
	NoRetry []int             `json:"no_retry_exit,omitempty"`
	// Backoff, Timeout, In and StartingDeadline are pointers to tell ""
	// (refused: "$VAR" with the variable unset) from none given.
	Backoff  *string           `json:"backoff,omitempty"`
	Timeout  *string           `json:"timeout,omitempty"`
	On       map[string]string `json:"on,omitempty"`
	Priority string            `json:"priority,omitempty"`
	// Key is a pointer to tell "key":"" (refused) from no key.
	Key *string `json:"key,omitempty"`
	// At is a pointer to tell "at":"" (refused) from no start time.
	At *string `json:"at,omitempty"`
	In *string `json:"in,omitempty"`
	// StartingDeadline is TaskSpec.StartingDeadline, a duration string.
	StartingDeadline *string  `json:"starting_deadline,omitempty"`
	After            []string `json:"after,omitempty"`
	AfterKey         []string `json:"after_key,omitempty"`
}

// MarshalJSON writes the JSONL form, timeout as a duration string.
func (s TaskSpec) MarshalJSON() ([]byte, error) {
	w := taskSpecJSON{Cmd: s.Cmd, Handler: s.Handler, Payload: s.Payload, Shell: s.Shell, Env: s.Env, Retries: s.Retries,
		NoRetry: s.NoRetryExit, On: s.On, Priority: s.Priority, After: s.After, AfterKey: s.AfterKey}
	if s.Name != "" {
		w.Name = &s.Name
	}
	if s.Key != "" {
		w.Key = &s.Key
	}
	text := func(d time.Duration) *string {
		if d == 0 {
			return nil
		}
		t := d.String()
		return &t
	}
	w.Timeout, w.In, w.StartingDeadline, w.Backoff = text(s.Timeout), text(s.In), text(s.StartingDeadline), text(s.Backoff)
	if !s.At.IsZero() {
		at := s.At.Format(time.RFC3339Nano)
		w.At = &at
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the JSONL form; unknown fields are an error, so a typo
// ("retry") cannot silently drop a setting. So is text that is not UTF-8,
// raw or as a \u escape of half a surrogate pair: decoding turns it into
// U+FFFD, and two keys that differ only there would name one task. So is
// "key": "" (no key is no "key"), and "name": "", "at": "", and an empty
// duration.
func (s *TaskSpec) UnmarshalJSON(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New(notUTF8JSON)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w taskSpecJSON
	if err := dec.Decode(&w); err != nil {
		return specJSONError(err)
	}
	if err := checkFieldNames(b); err != nil {
		return err
	}
	if esc := loneSurrogate(b); esc != "" {
		return fmt.Errorf("%s is half a UTF-16 surrogate pair: not a character (decoded as U+FFFD)", esc)
	}
	timeout, err := givenDuration("timeout", w.Timeout, "no limit")
	if err != nil {
		return err
	}
	in, err := givenDuration("in", w.In, "to run it at once")
	if err != nil {
		return err
	}
	deadline, err := givenDuration("starting_deadline", w.StartingDeadline, "no starting deadline")
	if err != nil {
		return err
	}
	backoff, err := givenDuration("backoff", w.Backoff, "the cluster's")
	if err != nil {
		return err
	}
	var key string
	if w.Key != nil {
		// "key": "$JOB_KEY" with the variable unset would be no key, and
		// each resubmit a new task.
		if *w.Key == "" {
			return errors.New(`key "": empty (leave "key" out for no idempotency key)`)
		}
		key = *w.Key
	}
	var name string
	if w.Name != nil {
		// "name": "$JOB" with the variable unset: a name is 1 to 128 bytes.
		if *w.Name == "" {
			return errors.New(`name "": empty (leave "name" out for no name)`)
		}
		name = *w.Name
	}
	if w.At != nil && w.In != nil {
		// "in": "0s" with an "at" was taken for no "in".
		return errors.New(`give "at" or "in", not both`)
	}
	var at time.Time
	if w.At != nil {
		// "at": "$WHEN" with the variable unset would run it at once.
		if *w.At == "" {
			return errors.New(`at "": empty (leave "at" out to run it at once)`)
		}
		if at, err = ParseAt(*w.At); err != nil {
			return fmt.Errorf("at %w", err)
		}
	}
	*s = TaskSpec{Name: name, Cmd: w.Cmd, Handler: w.Handler, Payload: w.Payload, Shell: w.Shell, Env: w.Env, Retries: w.Retries,
		NoRetryExit: w.NoRetry, Backoff: backoff, Timeout: timeout,
		On: w.On, Priority: w.Priority, Key: key, At: at, In: in, StartingDeadline: deadline, After: w.After, AfterKey: w.AfterKey}
	return nil
}

// givenDuration is a JSONL line's duration field: none when left out,
// refused when empty ("$VAR" with the variable unset), as its flag is.
func givenDuration(field string, text *string, none string) (time.Duration, error) {
	switch {
	case text == nil:
		return 0, nil
	case *text == "":
		return 0, fmt.Errorf("%s \"\": empty (leave %q out for %s)", field, field, none)
	}
	return ParseDuration(field, *text)
}

// ParseDuration reads a duration field of a task's or schedule's spec as a
// file gives it (a JSONL line, a schedule file): none when empty.
func ParseDuration(field, text string) (time.Duration, error) {
	if text == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %s", field, text, store.WantDuration)
	}
	return d, nil
}

// notUTF8JSON is the error of a spec's JSON that is not valid UTF-8.
const notUTF8JSON = "not valid UTF-8 (JSON text must be; decoded, each such byte would be U+FFFD)"

// loneSurrogate returns the first \u escape in the JSON text b that is half
// of a surrogate pair without its other half, or "". b is valid JSON: a
// backslash is an escape within a string.
func loneSurrogate(b []byte) string {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		return rune(v), err == nil
	}
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return ""
		}
		i += j
		r, ok := hex4(i)
		switch {
		case !ok:
			i += 2 // another escape (\\, \", \n ...)
			continue
		case r >= 0xD800 && r < 0xDC00:
			if lo, ok := hex4(i + 6); ok && lo >= 0xDC00 && lo < 0xE000 {
				i += 12
				continue
			}
		case r < 0xDC00 || r >= 0xE000:
			i += 6
			continue
		}
		return string(b[i : i+6])
	}
	return ""
}

// MaxKeyLen bounds an idempotency key.
const MaxKeyLen = 1024

// Task turns a spec into a validated task record with a new id.
// Its starting deadline counts from now (Client.Submit counts it from
// ZooKeeper's clock).
func (s TaskSpec) Task(now time.Time) (*store.Task, error) {
	if err := s.checkUTF8(); err != nil {
		return nil, err
	}
	prio, err := store.ParsePriority(s.Priority)
	if err != nil {
		return nil, err
	}
	if s.Timeout < 0 {
		return nil, fmt.Errorf("timeout %v: must not be negative", s.Timeout)
	}
	if s.Timeout > 0 && s.Timeout < time.Millisecond {
		// Records keep milliseconds: 1ns was stored as 1ms, a run killed
		// at once, nothing like what was asked.
		return nil, fmt.Errorf("timeout %v: must be at least 1ms (0: no limit)", s.Timeout)
	}
	if s.Backoff > 0 && s.Backoff < time.Millisecond {
		// Records keep milliseconds: it would be stored as none. The
		// record's own check (validSubmit) refuses the rest.
		return nil, fmt.Errorf("backoff %v: want 1ms to %v (0: the cluster's)", s.Backoff, store.MaxTaskBackoff)
	}
	if len(s.Key) > MaxKeyLen {
		return nil, fmt.Errorf("key of %d bytes: at most %d", len(s.Key), MaxKeyLen)
	}
	if !utf8.ValidString(s.Key) || strings.ContainsFunc(s.Key, func(r rune) bool { return !unicode.IsPrint(r) }) {
		// It is shown as given (status, the API): no terminal escapes.
		return nil, fmt.Errorf("key %q: want printable UTF-8", s.Key)
	}
	if err := s.checkAfterKeys(); err != nil {
		return nil, err
	}
	notBefore, err := s.start(now)
	if err != nil {
		return nil, err
	}
	t := &store.Task{
		ID: store.NewTaskID(now), Name: s.Name, Cmd: s.Cmd, Handler: s.Handler, Payload: s.Payload, Shell: s.Shell, Env: s.Env, Retries: s.Retries,
		NoRetryExit: noRetryExit(s.NoRetryExit), Backoff: store.MillisOf(s.Backoff), Timeout: store.MillisOf(s.Timeout), On: s.On, Priority: prio, Key: s.Key,
		SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued, NotBefore: notBefore, After: afterIDs(s.After),
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	// Set after Validate, which refuses a start_by a submit copied from a
	// slot's task: this one the spec asked for.
	if t.StartBy, err = s.startBy(now); err != nil {
		return nil, err
	}
	if _, err := store.EncodeSpec(t.Clone()); err != nil {
		return nil, err
	}
	return t, nil
}

// checkAfterKeys refuses an AfterKey that no task could have (empty, too
// long, not printable UTF-8), the spec's own key (it would wait for
// itself), and more tasks in After and AfterKey together than a record
// keeps (a key may name a task After names too: counted twice here).
func (s TaskSpec) checkAfterKeys() error {
	if len(s.AfterKey) == 0 {
		return nil
	}
	keys := slices.Compact(slices.Sorted(slices.Values(s.AfterKey)))
	if n := len(afterIDs(s.After)) + len(keys); n > store.MaxAfter {
		return fmt.Errorf("after and after_key: %d tasks: want at most %d", n, store.MaxAfter)
	}
	for _, k := range keys {
		switch {
		case k == "":
			return errors.New(`after_key "": empty`)
		case len(k) > MaxKeyLen:
			return fmt.Errorf("after_key of %d bytes: at most %d (a key's bound)", len(k), MaxKeyLen)
		case !utf8.ValidString(k) || strings.ContainsFunc(k, func(r rune) bool { return !unicode.IsPrint(r) }):
			return fmt.Errorf("after_key %q: want printable UTF-8", k)
		case k == s.Key:
			return fmt.Errorf("after_key %q: the task's own key: it would wait for itself", k)
		}
	}
	return nil
}

// afterIDs is a spec's After as a record keeps it: upper case (a ULID's
// letters are either case), sorted, each once, none as nil.
func afterIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	up := make([]string, len(ids))
	for i, id := range ids {
		up[i] = strings.ToUpper(id)
	}
	return slices.Compact(slices.Sorted(slices.Values(up)))
}

// noRetryExit is a spec's NoRetryExit as a record keeps it: sorted, each
// code once, none as nil (so that specs that list the same codes are the
// same spec, to SameSpec and to a schedule's update).
func noRetryExit(codes []int) []int {
	if len(codes) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(codes)))
}

// WantTime is what a start time (at) that does not parse is told.
const WantTime = "want an RFC 3339 time, like 2026-12-07T02:00:00Z or 2026-12-07T03:00:00+01:00"

// start is when the task's first attempt may be placed, submitted at now:
// zero for at once (neither At nor In, or an At more than pastStart past).
func (s TaskSpec) start(now time.Time) (time.Time, error) {
	switch {
	case !s.At.IsZero() && s.In != 0:
		return time.Time{}, errors.New("give at or in, not both")
	case s.In < 0:
		return time.Time{}, fmt.Errorf("in %v: must not be negative", s.In)
	case s.In > MaxDelay:
		return time.Time{}, fmt.Errorf("in %v: at most 366 days ahead (a schedule runs later work)", s.In)
	case s.In > 0:
		return now.Add(s.In).UTC(), nil
	case s.At.Sub(now) > MaxDelay:
		return time.Time{}, fmt.Errorf("at %s: more than 366 days ahead (a schedule runs later work)", s.At.Format(time.RFC3339))
	case s.At.IsZero() || s.At.Before(now.Add(-pastStart)):
		return time.Time{}, nil
	}
	// Kept, a little past or not: the leader judges a time by its own
	// clock, and this host's may be ahead of it.
	return s.At.UTC(), nil
}

// startBy is the latest time the first attempt may start (store.Task.
// StartBy), for a task submitted at now: its start (now, In after it, or
// At if later: an At past runs at once, and its deadline counts from the
// submit too) plus the deadline; zero when the spec has no starting
// deadline.
func (s TaskSpec) startBy(now time.Time) (time.Time, error) {
	d := s.StartingDeadline
	switch {
	case d == 0:
		return time.Time{}, nil
	case d < time.Millisecond:
		return time.Time{}, fmt.Errorf("starting_deadline %v: want at least 1ms (0: no limit)", d)
	case d > MaxDelay:
		return time.Time{}, fmt.Errorf("starting_deadline %v: at most 366 days", d)
	}
	start := now.Add(s.In)
	if s.At.After(start) {
		start = s.At
	}
	return start.Add(d).UTC(), nil
}

// ParseAt reads a start time (TaskSpec.At) as given on a command line or
// in a JSONL line: RFC 3339.
func ParseAt(text string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %s", text, WantTime)
	}
	return t, nil
}

// pastStart is how far in the past a task's start time (TaskSpec.At) is
// still written for the leader to judge, beyond clock skew.
const pastStart = 24 * time.Hour

// SameSpec reports whether a and b were submitted alike: the same name,
// command or handler and payload, variables, labels, retries, exit codes
// not retried, backoff, timeout and priority (their ids, keys, times and
// progress aside). A key reused with another spec returns the first task,
// which the caller may say.
func SameSpec(a, b *store.Task) bool { return specDigest(a) == specDigest(b) }

// specDigest is a digest of what SameSpec compares.
func specDigest(t *store.Task) [sha256.Size]byte {
	// Maps marshal sorted; an empty map, list or payload is none ("env":
	// {} on one line, none on another, or a record that dropped it).
	env, on, cmd, payload := t.Env, t.On, t.Cmd, t.Payload
	if len(env) == 0 {
		env = nil
	}
	if len(on) == 0 {
		on = nil
	}
	if len(cmd) == 0 {
		cmd = nil
	}
	if t.Shell && len(cmd) > 1 {
		cmd = []string{strings.Join(cmd, " ")} // runs as sh -c "echo hi", however split
	}
	if len(payload) == 0 {
		payload = nil
	}
	b, _ := json.Marshal(struct {
		Name, Handler     string
		Cmd               []string
		Payload           []byte
		Shell             bool
		Env, On           map[string]string
		Retries           int
		NoRetryExit       []int
		Backoff           int64
		Timeout, Priority int64
	}{t.Name, t.Handler, cmd, payload, t.Shell, env, on, t.Retries, noRetryExit(t.NoRetryExit), int64(t.Backoff), int64(t.Timeout), int64(t.Priority)})
	return sha256.Sum256(b)
}

// notUTF8 is why a text that is not valid UTF-8 is refused: the record is
// JSON, whose encoding turns each such byte into U+FFFD, and the task would
// run something other than what was given ("a\xffb" ran as "a\uFFFDb").
const notUTF8 = "not valid UTF-8 (a task record is JSON, which cannot keep it)"

// checkUTF8 refuses a spec with a text that is not valid UTF-8, naming its
// field (the key has a check of its own, in Task). A payload is bytes: any
// are kept.
func (s TaskSpec) checkUTF8() error {
	for i, a := range s.Cmd {
		if !utf8.ValidString(a) {
			return fmt.Errorf("command argument %d %q: %s", i, a, notUTF8)
		}
	}
	for _, f := range []struct{ what, v string }{{"name", s.Name}, {"handler", s.Handler}, {"priority", s.Priority}} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%s %q: %s", f.what, f.v, notUTF8)
		}
	}
	for _, m := range []struct {
		what string
		m    map[string]string
	}{{"env", s.Env}, {"label", s.On}} {
		for _, k := range slices.Sorted(maps.Keys(m.m)) {
			switch {
			case !utf8.ValidString(k):
				return fmt.Errorf("%s name %q: %s", m.what, k, notUTF8)
			case !utf8.ValidString(m.m[k]):
				return fmt.Errorf("%s %s=%q: %s", m.what, k, m.m[k], notUTF8)
			}
		}
	}
	return nil
}

// maxSubmitTries bounds how often Submit re-sends the tasks of a transaction
// whose outcome was unknown (connection lost mid-request).
const maxSubmitTries = 5

// Submit validates every spec, then writes them all in as few transactions as
// their size allows. Nothing is written when any spec is invalid; the error
// then wraps ErrInvalid and names the spec (1-based). On another error the
// results returned are those of the tasks that were written before it: they
// are acknowledged, the rest are not. A transaction whose answer had not
// come (the connection lost, or ctx ended while it waited: it returns at
// once) makes the error a *store.InFlightError naming the tasks that may
// have been written.
//
// A task whose idempotency key was used before (by an earlier submit or by an
// earlier spec of the same call) is not written: its result names the first
// task, with Existing set, also when the first was submitted with another
// spec (no error: SameSpec of its Status and spec.Task tells, as drover
// submit does).
//
// A spec whose AfterKey names a key an earlier spec gives waits for that
// spec's task (the key's first): the specs are then written in runs, each
// once the tasks its specs wait for are acknowledged, and an error in a
// later run returns the earlier runs' results, acknowledged. Other keys
// are looked up first: one no task has is ErrInvalid, nothing written.
func (c *Client) Submit(ctx context.Context, specs []TaskSpec) ([]store.SubmitResult, error) {
	tasks := make([]*store.Task, len(specs))
	now := c.now()
	for i, s := range specs {
		t, err := s.Task(now)
		if err != nil {
			if len(specs) == 1 {
				return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			return nil, fmt.Errorf("%w: task %d: %w", ErrInvalid, i+1, err)
		}
		tasks[i] = t
	}
	// Keys given by no earlier spec resolve now, in the cluster: all that
	// can be refused is, before anything is written.
	inCall, checked, err := c.afterKeys(ctx, specs, tasks)
	if err != nil {
		return nil, err
	}
	if err := c.checkAfter(ctx, tasks, checked); err != nil {
		return nil, err
	}
	if slices.ContainsFunc(specs, func(s TaskSpec) bool { return s.StartingDeadline > 0 }) {
		// A starting deadline counts from ZooKeeper's clock, as a
		// schedule's trigger does: the leader ends the task by its own,
		// and this host's may be behind it (a start_by already past
		// ended the task before it could start).
		clock, err := c.zkNow()
		if err != nil {
			return nil, fmt.Errorf("submit: %w", err)
		}
		for i, s := range specs {
			if tasks[i].StartBy, err = s.startBy(clock); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInvalid, err) // checked by Task
			}
		}
	}
	if inCall == nil {
		return c.submitTasks(ctx, tasks)
	}
	// A spec waiting for the task of an earlier spec's key is sent once
	// that task is acknowledged (it may be another's, the key's first),
	// each run of specs between such waits in one go.
	var out []store.SubmitResult
	for start := 0; start < len(tasks); {
		end := start + 1
		for end < len(tasks) && !slices.ContainsFunc(inCall[end], func(j int) bool { return j >= start }) {
			end++
		}
		for i := start; i < end; i++ {
			if len(inCall[i]) == 0 {
				continue
			}
			ids := slices.Clone(tasks[i].After)
			for _, j := range inCall[i] {
				ids = append(ids, out[j].ID)
			}
			tasks[i].After = afterIDs(ids)
		}
		res, err := c.submitTasks(ctx, tasks[start:end])
		out = append(out, res...)
		if err != nil {
			return out, err
		}
		start = end
	}
	return out, nil
}

// submitTasks writes tasks, checked, as Submit describes.
func (c *Client) submitTasks(ctx context.Context, tasks []*store.Task) ([]store.SubmitResult, error) {
	// A key repeated inside one call is resolved here: the store would fail the
	// whole transaction that creates the same key twice.
	firstOfKey := map[string]int{}
	dupOf := make([]int, len(tasks))
	unique := make([]*store.Task, 0, len(tasks))
	for i, t := range tasks {
		dupOf[i] = -1
		if t.Key != "" {
			if j, ok := firstOfKey[t.Key]; ok {
				dupOf[i] = j
				continue
			}
			firstOfKey[t.Key] = i
		}
		unique = append(unique, t)
	}
	res, err := c.submit(ctx, unique)
	out := make([]store.SubmitResult, 0, len(tasks))
	byID := make(map[string]store.SubmitResult, len(res))
	for k, r := range res {
		byID[unique[k].ID] = r
	}
	for i, t := range tasks {
		src := t
		if dupOf[i] >= 0 {
			src = tasks[dupOf[i]]
		}
		r, ok := byID[src.ID]
		if !ok {
			break // not written: neither this nor any later task is acknowledged
		}
		if dupOf[i] >= 0 {
			r.Existing = true
		}
		out = append(out, r)
	}
	if ife := (*store.InFlightError)(nil); errors.As(err, &ife) {
		ids := unknownSpecs(tasks, dupOf, len(out), unique[len(res):min(len(res)+ife.N, len(unique))])
		// Specs that repeat a key name its first task: each task once.
		seen := map[string]bool{}
		tasksOf := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { was := seen[id]; seen[id] = true; return was })
		err = &store.InFlightError{N: len(ids), IDs: tasksOf, Err: ife.Err}
	}
	if err != nil {
		return out, fmt.Errorf("submit: %w", err)
	}
	return out, nil
}

// afterKeys resolves the specs' AfterKey. A key an earlier spec gives is
// returned for its spec, by the index of the first spec that gives it
// (inCall is nil when no spec waits so); any other is looked up in the
// cluster, once a call, and the id of the task it names added to the
// task's After, and the task looked up (checked: checkAfter need not). A
// key no task has, or whose task is found nowhere, is ErrInvalid.
func (c *Client) afterKeys(ctx context.Context, specs []TaskSpec, tasks []*store.Task) (inCall [][]int, checked map[string]bool, err error) {
	if !slices.ContainsFunc(specs, func(s TaskSpec) bool { return len(s.AfterKey) > 0 }) {
		return nil, nil, nil
	}
	// Which keys each spec waits for are of the call, and which the
	// cluster's: the cluster's are then read keyReads at a time, and the
	// first refused, in the specs' order, said.
	type outside struct {
		key, id, why string
		spec         int // the first spec that waits for it
		err          error
	}
	giver := map[string]int{} // a key's first spec, of those before
	byKey := map[string]*outside{}
	var look []*outside
	inCall = make([][]int, len(specs))
	waits := false
	for i, s := range specs {
		for _, k := range slices.Compact(slices.Sorted(slices.Values(s.AfterKey))) {
			if j, ok := giver[k]; ok {
				inCall[i] = append(inCall[i], j)
				waits = true
			} else if byKey[k] == nil {
				byKey[k] = &outside{key: k, spec: i}
				look = append(look, byKey[k])
			}
		}
		if s.Key != "" {
			if _, ok := giver[s.Key]; !ok {
				giver[s.Key] = i
			}
		}
	}
	var g errgroup.Group
	g.SetLimit(keyReads)
	for _, o := range look {
		g.Go(func() error {
			o.id, o.why, o.err = c.taskOfKey(ctx, o.key)
			return nil
		})
	}
	_ = g.Wait()
	checked = map[string]bool{}
	for _, o := range look {
		switch {
		case o.err != nil:
			return nil, nil, fmt.Errorf("submit: after_key %q: %w", o.key, o.err)
		case o.why != "":
			why := o.why
			if o.id == "" && slices.ContainsFunc(specs[o.spec+1:], func(l TaskSpec) bool { return l.Key == o.key }) {
				why += " (the task that gives it must come before the one that waits for it)"
			}
			if len(specs) == 1 {
				return nil, nil, fmt.Errorf("%w: after_key %q: %s", ErrInvalid, o.key, why)
			}
			return nil, nil, fmt.Errorf("%w: task %d: after_key %q: %s", ErrInvalid, o.spec+1, o.key, why)
		}
		checked[o.id] = true
	}
	for i, s := range specs {
		var ids []string
		for _, k := range s.AfterKey {
			if o := byKey[k]; o != nil && !slices.Contains(inCall[i], giver[k]) {
				ids = append(ids, o.id)
			}
		}
		if len(ids) > 0 {
			tasks[i].After = afterIDs(append(ids, tasks[i].After...))
		}
	}
	if !waits {
		return nil, checked, nil
	}
	return inCall, checked, nil
}

// keyReads bounds the key look-ups afterKeys has in flight.
const keyReads = 16

// taskOfKey returns the id of the task idempotency key names, looked up:
// why says why none can be waited for (no task has the key: id ""; its
// task is found nowhere, pruned before its key; or its record is
// malformed: left where it is, for a submit of the key to move aside).
// err is another failure (a read's).
func (c *Client) taskOfKey(ctx context.Context, key string) (id, why string, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	id, err = withCtx(ctx, func() (string, error) { return c.keyTask(ctx, key) })
	switch {
	case errors.Is(err, store.ErrNoKey):
		return "", "no task has this key", nil
	case errors.Is(err, store.ErrMalformed):
		return "", err.Error(), nil
	case err != nil:
		return "", "", err
	}
	_, _, err = c.lookupCtx(ctx, id)
	switch {
	case errors.Is(err, store.ErrUnknownTask):
		return id, fmt.Sprintf("its task %s is found nowhere", id), nil
	case errors.Is(err, store.ErrMalformed):
		return id, err.Error(), nil
	case err != nil:
		return "", "", err
	}
	return id, "", nil
}

// TaskOfKey returns the task idempotency key names: store.ErrNoKey when
// no task has it (never given, or pruned with its task), and
// store.ErrUnknownTask when its task is found nowhere. ctx ends it.
func (c *Client) TaskOfKey(ctx context.Context, key string) (*store.Task, error) {
	id, err := withCtx(ctx, func() (string, error) { return c.keyTask(ctx, key) })
	if err != nil {
		return nil, err
	}
	t, _, err := c.lookupCtx(ctx, id)
	return t, err
}

// keyTask is store.TaskOfKey read again once back after a lost reply, as
// lookup reads a task again: a read, safe to ask twice.
func (c *Client) keyTask(ctx context.Context, key string) (string, error) {
	for lost := 0; ; lost++ {
		id, err := c.st.TaskOfKey(key)
		if lostReply(err) && !c.failFast && lost < maxSubmitTries && c.reconnected(ctx) {
			continue
		}
		return id, err
	}
}

// checkAfter refuses tasks that would wait for a task found nowhere (a
// typo, another cluster's, one pruned): held for it, they would end
// cancelled at once. Each id named is looked up once, in turn, but for
// those checked before.
func (c *Client) checkAfter(ctx context.Context, tasks []*store.Task, checked map[string]bool) error {
	seen := maps.Clone(checked)
	if seen == nil {
		seen = map[string]bool{}
	}
	for i, t := range tasks {
		for _, id := range t.After {
			if seen[id] {
				continue
			}
			seen[id] = true
			if err := ctx.Err(); err != nil {
				return err
			}
			_, _, err := c.lookupCtx(ctx, id)
			switch {
			case err == nil:
			case errors.Is(err, store.ErrUnknownTask) && len(tasks) == 1:
				return fmt.Errorf("%w: after %s: no such task", ErrInvalid, id)
			case errors.Is(err, store.ErrUnknownTask):
				return fmt.Errorf("%w: task %d: after %s: no such task", ErrInvalid, i+1, id)
			case errors.Is(err, store.ErrMalformed):
				// Moved aside now: it will never end succeeded.
				return fmt.Errorf("%w: after %s: %w", ErrInvalid, id, err)
			default:
				return fmt.Errorf("submit: after %s: %w", id, err)
			}
		}
	}
	return nil
}

// unknownSpecs returns, for each spec after the acked ones whose task (a
// key's first, for a repeat: dupOf) is among unknown, that task's id: an
// InFlightError's, in specs.
func unknownSpecs(tasks []*store.Task, dupOf []int, acked int, unknown []*store.Task) []string {
	ids := make(map[string]bool, len(unknown))
	for _, t := range unknown {
		ids[t.ID] = true
	}
	var out []string
	for i := acked; i < len(tasks); i++ {
		src := tasks[i]
		if dupOf[i] >= 0 {
			src = tasks[dupOf[i]]
		}
		if ids[src.ID] {
			out = append(out, src.ID)
		}
	}
	return out
}

// submit writes tasks, sending again those of a transaction whose outcome is
// unknown. Task ids (and key records naming them) make a second send safe: a
// task that did land is found by its id.
func (c *Client) submit(ctx context.Context, tasks []*store.Task) ([]store.SubmitResult, error) {
	out := make([]store.SubmitResult, len(tasks))
	done := make([]bool, len(tasks))
	pending := make([]int, len(tasks)) // indexes not yet acknowledged, in order
	for i := range pending {
		pending[i] = i
	}
	sent := 0 // tasks[:sent] were sent at least once
	// fail returns the acknowledged prefix, and says how many tasks after
	// it may have been written.
	fail := func(err error) ([]store.SubmitResult, error) {
		n := 0
		for n < len(tasks) && done[n] {
			n++
		}
		if ife := (*store.InFlightError)(nil); errors.As(err, &ife) {
			err = ife.Err // its count is of the last store.Submit's tasks
		}
		if sent > n {
			err = &store.InFlightError{N: sent - n, Err: err}
		}
		return out[:n], err
	}
	for try := 1; ; try++ {
		if try > 1 {
			// A task of the lost transaction may have been placed (or even
			// finished) since: its queue item is gone, and sending it again
			// would queue it twice. Find every one that landed, wherever it
			// stands in the batch: a task whose key was taken before was not
			// written, and the tasks after it were.
			landed, err := c.landed(pick(tasks, pending))
			for look := 0; err != nil && lostReply(err) && look < maxSubmitTries && ctx.Err() == nil && c.reconnected(ctx); look++ {
				// The look lost its connection too (a whole ensemble
				// restarting): look again once back, not fail the submit.
				landed, err = c.landed(pick(tasks, pending))
			}
			if err != nil {
				return fail(err)
			}
			rest := pending[:0]
			for k, i := range pending {
				if landed[k] {
					out[i], done[i] = store.SubmitResult{ID: tasks[i].ID}, true
				} else {
					rest = append(rest, i)
				}
			}
			if pending = rest; len(pending) == 0 {
				return out, nil
			}
		}
		res, err := c.st.Submit(ctx, pick(tasks, pending))
		for k, r := range res {
			i := pending[k]
			// Our own id found on a re-send is a task this call wrote.
			if r.Existing && r.ID == tasks[i].ID {
				r.Existing = false
			}
			out[i], done[i] = r, true
		}
		inFlight := 0
		if ife := (*store.InFlightError)(nil); errors.As(err, &ife) {
			inFlight = ife.N
		}
		if k := min(len(res)+inFlight, len(pending)); k > 0 {
			sent = max(sent, pending[k-1]+1)
		}
		pending = pending[len(res):]
		if err == nil {
			return out, nil
		}
		if try >= maxSubmitTries || !(errors.Is(err, store.ErrConnection) || errors.Is(err, store.ErrSessionExpired)) {
			return fail(err)
		}
		// As long as a connect may take: a server that stays away must not
		// hold the caller for ever.
		sctx, cancel := context.WithTimeout(ctx, c.st.SessionTimeout())
		_, serr := c.st.CurrentSession(sctx)
		cancel()
		if serr != nil {
			return fail(err)
		}
	}
}

func pick(tasks []*store.Task, idx []int) []*store.Task {
	out := make([]*store.Task, len(idx))
	for k, i := range idx {
		out[k] = tasks[i]
	}
	return out
}

// landed says which tasks exist anywhere: queued, placed or finished. Their
// ids are this call's own, so one that exists was written by this call, in a
// transaction whose reply was lost.
//
// The places are read in the order a task moves through them: the queue,
// the assignments, the results. A task that moves on while they are read
// is then found where it went, read after where it was; read the other
// way, a task that finished between the read of the results and the
// listing of the assignments was found nowhere, and sent again, to run a
// second time. (A placed task that goes back to the queue meanwhile, after
// a failure or with its worker, is missed, but the task sent again is
// refused: its queue item exists.)
func (c *Client) landed(tasks []*store.Task) ([]bool, error) {
	lay := c.st.Layout()
	out := make([]bool, len(tasks))
	// look marks the tasks not found yet whose znode at path exists.
	look := func(path func(string) string) error {
		var idx []int
		var paths []string
		for i, t := range tasks {
			if !out[i] {
				idx, paths = append(idx, i), append(paths, path(t.ID))
			}
		}
		for k, r := range c.st.GetMany(paths) {
			switch {
			case r.Err == nil:
				out[idx[k]] = true
			case !errors.Is(r.Err, store.ErrNoNode):
				return r.Err
			}
		}
		return nil
	}
	if testHookLanded != nil {
		testHookLanded()
	}
	// After a lost reply the session may be on another server, behind the
	// ensemble's leader: its reads may not show the write yet, and a task
	// taken for unwritten is sent again (LookupTaskIn syncs too).
	if err := c.st.Sync(lay.Root); err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		// The buckets of the tasks not found yet, before their places are
		// read: a task placed, queued again (its worker lost) and placed
		// again between the reads is in none of them, and sending it
		// again queued it twice.
		var missing []string
		for i, t := range tasks {
			if !out[i] {
				missing = append(missing, t.ID)
			}
		}
		marks, err := c.st.MarkBuckets(missing...)
		if err != nil {
			return nil, err
		}
		if err := look(lay.QueueItem); err != nil {
			return nil, err
		}
		if slices.Contains(out, false) {
			if testHookAssignments != nil {
				testHookAssignments()
			}
			refs, err := c.st.Assignments()
			if err != nil {
				return nil, err
			}
			placed := map[string]bool{}
			for _, r := range refs {
				placed[r.Task] = true
			}
			for i, t := range tasks {
				out[i] = out[i] || placed[t.ID]
			}
		}
		if err := look(lay.Result); err != nil {
			return nil, err
		}
		if !slices.Contains(out, false) || try == 2 {
			return out, nil
		}
		// Not found: not written, unless one moved while it was looked
		// for. (Its buckets busy with other tasks, three looks are all:
		// those still not found are taken for not written.)
		still, err := c.st.BucketsStill(marks)
		if err != nil {
			return nil, err
		}
		if still {
			return out, nil
		}
	}
}

// testHookAssignments, when set by a test, runs in landed just before it
// lists the assignments.
var testHookAssignments func()

// testHookReconnecting, when set by a test, runs as reconnected starts.
var testHookReconnecting func()

// testHookLanded, when set by a test, runs as landed starts its look.
var testHookLanded func()

// SkipBOM returns r past a UTF-8 byte order mark at its start, which some
// editors write (Notepad): submit -f and wait -f read files past it.
func SkipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	return br
}

// MaxLine bounds one JSONL line.
const MaxLine = 1 << 20

// ReadSpecs reads JSONL task specs, one per line, and validates each; blank
// lines and a UTF-8 byte order mark at the start are skipped. Errors wrap ErrInvalid and name the line ("line 3: ...").
// It holds them all: EachSpec reads a file of any size.
func ReadSpecs(r io.Reader) ([]TaskSpec, error) {
	var specs []TaskSpec
	if err := EachSpec(r, func(s TaskSpec) error {
		specs = append(specs, s)
		return nil
	}); err != nil {
		return nil, err
	}
	return specs, nil
}

// EachSpec reads and validates task specs as ReadSpecs does, and hands
// each to fn in turn without holding them: a file of millions of lines
// took some 570 bytes of memory a line when held. It stops at the first
// error, the input's or fn's (returned as it is).
func EachSpec(r io.Reader, fn func(TaskSpec) error) error {
	return EachSpecLine(r, func(s TaskSpec, _ int, _ []string) error { return fn(s) })
}

// EachSpecLine is EachSpec that also hands on each spec's line and the
// keys of its AfterKey that no earlier line gives: Submit looks them up in
// the cluster, where a task must have them (a reader checks them all
// before it sends any line: Client.TaskOfKey).
func EachSpecLine(r io.Reader, fn func(s TaskSpec, line int, outside []string) error) error {
	sc := bufio.NewScanner(SkipBOM(r))
	sc.Buffer(make([]byte, 64*1024), MaxLine)
	n := 0
	// A key given twice with two specs contradicts itself: the second
	// would silently get the first's task. (The same spec again is the
	// same task, as a resubmit is.) Kept small, for files of millions of
	// lines: a key by 16 bytes of its hash, its first line and 4 bytes of
	// its spec's digest.
	keys := map[[16]byte]uint64{}
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			// Decoded, "job-\xfe" and "job-\xff" would both be the key
			// "job-\uFFFD", and the second line would get the first's task.
			return fmt.Errorf("%w: line %d: %s", ErrInvalid, n, notUTF8JSON)
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		var s TaskSpec
		if err := dec.Decode(&s); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
		}
		if rest := bytes.TrimSpace(line[dec.InputOffset():]); len(rest) > 0 {
			// (dec.More is false before a stray '}' or ']'.)
			return fmt.Errorf("%w: line %d: more after the task's JSON object: %.20q", ErrInvalid, n, rest)
		}
		t, err := s.Task(time.Now())
		if err != nil {
			return fmt.Errorf("%w: line %d: %w", ErrInvalid, n, err)
		}
		if s.Key != "" {
			kh, d := sha256.Sum256([]byte(s.Key)), specDigest(t)
			seen := uint64(binary.BigEndian.Uint32(d[:]))<<32 | uint64(uint32(n))
			if first, ok := keys[[16]byte(kh[:16])]; !ok {
				keys[[16]byte(kh[:16])] = seen
			} else if first>>32 != seen>>32 {
				return fmt.Errorf("%w: line %d: key %q was given on line %d with another task: a key names one task", ErrInvalid, n, s.Key, uint32(first))
			}
		}
		var outside []string
		for _, k := range s.AfterKey {
			if kh := sha256.Sum256([]byte(k)); !slices.Contains(outside, k) {
				if _, ok := keys[[16]byte(kh[:16])]; !ok {
					outside = append(outside, k)
				}
			}
		}
		if err := fn(s, n, outside); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%w: line %d: longer than %d bytes", ErrInvalid, n+1, MaxLine)
		}
		return err
	}
	return nil
}

// taskID validates a task id and returns its canonical (upper-case) form: ULIDs
// parse in either case, but a task's znodes are named by the canonical one.
func taskID(id string) (string, error) {
	up := strings.ToUpper(id)
	if err := store.ValidateTaskID(up); err != nil {
		// Said of the id as typed: only its case is not the cause.
		return "", fmt.Errorf("%w: %w", ErrInvalid, store.ValidateTaskID(id))
	}
	return up, nil
}

// Wait blocks until the task has a result. It fails at once with
// store.ErrUnknownTask when no record of the task exists, and later when
// its record vanished while it waited (it looks about once a minute; see
// store.WaitResultIn). A record read that does not decode is moved to
// deadletter (Deadletters lists it), and the error (store.ErrMalformed)
// says so. A task no registered worker can run (none has its handler, or
// its labels) stays queued, and Wait waits until ctx ends: whether one can
// is what drover status tells, from Registrations (those that TakesWork)
// and scheduler.Eligible.
func (c *Client) Wait(ctx context.Context, id string) (*store.Task, error) {
	id, err := taskID(id)
	if err != nil {
		return nil, err
	}
	// Its reads take no context: on a link gone silent they would wait for
	// the client's notice of the dead link (two thirds of a session).
	return withCtx(ctx, func() (*store.Task, error) { return c.wait(ctx, id) })
}

func (c *Client) wait(ctx context.Context, id string) (*store.Task, error) {
	for try := 0; ; try++ {
		t, loc, err := c.lookup(ctx, id)
		if err != nil {
			return nil, err // unknown tasks would otherwise be waited for forever
		}
		if loc.Path == c.st.Layout().Result(id) {
			return t, nil // finished already: no watch needed
		}
		if testHookWaitResult != nil {
			testHookWaitResult()
		}
		t, err = c.st.WaitResultIn(ctx, id, &c.placed)
		rerr, ok := malformed(err)
		if !ok {
			return t, err
		}
		if again, err := c.moveAside(rerr); !again || try >= maxMoveAsideTries {
			return nil, err
		}
	}
}

// withCtx runs f and returns what it returns, or ctx's error when ctx ends
// first; f, told by ctx, ends in the background then. Given a context
// from Unabandoned, it waits for f however long it takes.
func withCtx[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if ctx.Value(unabandonedKey{}) != nil {
		return f() // told by ctx, f stops at its next look at it
	}
	return store.Await(ctx, f)
}

// Unabandoned returns ctx marked for a caller that counts the reads it has
// in flight itself (a server's bounded tokens): the client's calls given
// it return only once their reads have ended, ctx's end stopping them at
// their next look at it, rather than at once with their reads left to end
// in the background.
func Unabandoned(ctx context.Context) context.Context {
	return context.WithValue(ctx, unabandonedKey{}, true)
}

type unabandonedKey struct{}

// testHookWaitResult, when set by a test, runs in Wait just before it
// watches for the result.
var testHookWaitResult func()

// WaitAll blocks until every task has a result, calling done with each as it
// lands (one call at a time, none after WaitAll returned; an id given twice
// is one task). Waiting for many tasks this way watches their result buckets instead
// of each task (see store.WaitResults). It fails with store.ErrUnknownTask
// when a task has no record anywhere, at once or, for one whose record
// vanished while it waited, within about a minute without a result; and with
// store.ErrMalformed, naming the task, when a result read does not decode:
// that result is moved to deadletter (Deadletters lists it).
func (c *Client) WaitAll(ctx context.Context, ids []string, done func(*store.Task)) error {
	norm := make([]string, len(ids))
	for i, id := range ids {
		var err error
		if norm[i], err = taskID(id); err != nil {
			return err
		}
	}
	if done == nil {
		done = func(*store.Task) {} // waiting is all the caller wants
	}
	// As Wait, it returns when ctx ends even while a read waits on a silent
	// link; done is not called once it has returned.
	var mu sync.Mutex
	returned := false
	defer func() { mu.Lock(); returned = true; mu.Unlock() }()
	_, err := withCtx(ctx, func() (struct{}, error) {
		return struct{}{}, c.waitAll(ctx, norm, func(t *store.Task) {
			mu.Lock()
			defer mu.Unlock()
			if !returned {
				done(t)
			}
		})
	})
	return err
}

func (c *Client) waitAll(ctx context.Context, norm []string, done func(*store.Task)) error {
	got := map[string]bool{}
	for try := 0; ; try++ {
		err := c.st.WaitResults(ctx, norm, func(t *store.Task) {
			got[t.ID] = true
			done(t)
		})
		rerr, ok := malformed(err)
		if !ok {
			return err
		}
		if again, err := c.moveAside(rerr); !again || try >= maxMoveAsideTries {
			return err
		}
		// The result changed or went since it was read: wait again for
		// the tasks not done.
		norm = slices.DeleteFunc(norm, func(id string) bool { return got[id] })
	}
}

// Status finds a task wherever it is: queued, placed on a worker, or finished.
// A record found that does not decode is moved to deadletter, as malformed
// data found anywhere is, and the error (store.ErrMalformed) says so. It
// ends with ctx's error once ctx is done, its reads left to end in the
// background.
func (c *Client) Status(ctx context.Context, id string) (*store.Task, error) {
	id, err := taskID(id)
	if err != nil {
		return nil, err
	}
	t, _, err := c.lookupCtx(ctx, id)
	return t, err
}

// lookupCtx is lookup ended with ctx's error once ctx is done (withCtx):
// for Status, and for Cancel and Retry before they send a write.
func (c *Client) lookupCtx(ctx context.Context, id string) (*store.Task, store.Location, error) {
	type found struct {
		t   *store.Task
		loc store.Location
	}
	f, err := withCtx(ctx, func() (found, error) {
		t, loc, err := c.lookup(ctx, id)
		return found{t, loc}, err
	})
	return f.t, f.loc, err
}

// maxMoveAsideTries bounds how often a caller of moveAside looks again for
// a record that changed or went between its read and its move.
const maxMoveAsideTries = 2

// lookup is store.LookupTaskIn for Status, Wait, Cancel and Retry: a record
// found that does not decode is moved to deadletter (moveAside), and the
// error, store.ErrMalformed, names the task and says so. ctx bounds its
// wait for the store to be back after a lost reply.
func (c *Client) lookup(ctx context.Context, id string) (*store.Task, store.Location, error) {
	for try, lost := 0, 0; ; try++ {
		t, loc, err := c.st.LookupTaskIn(id, &c.placed)
		if lostReply(err) && !c.failFast && lost < maxSubmitTries && c.reconnected(ctx) {
			// A read: asked again once back (a connection dropped under it
			// and came back on the same session, a new server).
			lost++
			continue
		}
		rerr, ok := malformed(err)
		if !ok {
			return t, loc, err
		}
		if again, err := c.moveAside(rerr); !again || try >= maxMoveAsideTries {
			return nil, store.Location{}, err
		}
	}
}

// malformed returns err's *store.RecordError when the record does not
// decode at all (store.ErrMalformed). A record of an unsupported version
// is no such error: a newer release wrote it, and it stays.
func malformed(err error) (*store.RecordError, bool) {
	var rerr *store.RecordError
	if !errors.As(err, &rerr) || !errors.Is(rerr, store.ErrMalformed) || rerr.Loc.Path == "" {
		return nil, false
	}
	return rerr, true
}

// moveAside moves the record rerr names to deadletter, as malformed data
// found anywhere is, if it still is the record that was read (same czxid
// and version), and returns the error to report for its task. again says
// the record changed or went since it was read (the task moved on, or
// another process moved it aside): the caller may look again.
func (c *Client) moveAside(rerr *store.RecordError) (again bool, err error) {
	loc := rerr.Loc
	data, st, qerr := c.st.Get(loc.Path)
	if qerr == nil && (st.Czxid != loc.Stat.Czxid || st.Version != loc.Stat.Version) {
		qerr = store.ErrBadVersion // not the record read
	}
	if qerr == nil {
		if qerr = c.st.Quarantine(loc.Path, data, st.Version, rerr); qerr == nil {
			return false, fmt.Errorf("%w; moved to deadletter (drover deadletter ls)", rerr)
		}
	}
	again = errors.Is(qerr, store.ErrNoNode) || errors.Is(qerr, store.ErrBadVersion)
	return again, fmt.Errorf("%w (not moved aside: %v)", rerr, qerr)
}

// inState says that task id is in state, in words: "X succeeded", "X
// was cancelled", "X is queued" ("X is succeeded" read badly).
func inState(id string, state store.State) string {
	switch state {
	case store.StateSucceeded, store.StateFailed:
		return id + " " + string(state)
	case store.StateCancelled:
		return id + " was cancelled"
	}
	return id + " is " + string(state)
}

// List returns tasks in state (all states when empty), newest first, at most
// limit (0: no limit). Records that do not decode are skipped, never fatal.
// It ends with ctx's error once ctx is done, as ListTasks does.
func (c *Client) List(ctx context.Context, state store.State, limit int) ([]*store.Task, error) {
	res, err := c.ListTasks(ctx, ListOptions{State: state, Limit: limit})
	return res.Tasks, err
}

// WorkerStatus is a registered worker and its load.
type WorkerStatus struct {
	store.WorkerInfo
	// Running counts the worker's assignments up to its capacity: the
	// attempts it runs, or is starting. (Before 2026-12-05 it counted
	// every assignment.)
	Running int `json:"running"`
	// Waiting counts the rest: prefetched assignments waiting there for a
	// slot.
	Waiting int `json:"waiting"`
	// Cordon is the worker's cordon (drover workers cordon), nil when it
	// has none: the leader places no new work on it.
	Cordon *store.Cordon `json:"cordon,omitempty"`
}

// TakesWork reports whether the leader places new work on the worker:
// neither draining nor cordoned.
func (w *WorkerStatus) TakesWork() bool { return !w.Draining && w.Cordon == nil }

// Workers lists registered workers. It ends with ctx's error once ctx is
// done, as ListWorkers does.
func (c *Client) Workers(ctx context.Context) ([]WorkerStatus, error) {
	ws, _, err := c.ListWorkers(ctx)
	return ws, err
}

// workerList is what ListWorkers and Registrations return, through
// withCtx (workersWith).
type workerList struct {
	ws      []WorkerStatus
	cordons map[string]*store.Cordon
	skipped int
}

// ListWorkers is Workers with how many registrations it skipped: ones that
// do not decode (malformed, or of a newer Drover) or that no session holds;
// one more when the cordons may not be listed (no worker then shows one).
// Like drover ls it changes nothing (it may run with read-only credentials,
// and a newer worker's registration is not ours to move); a leader moves
// the malformed ones to deadletter. It ends with ctx's error once ctx is
// done, its reads left to end in the background.
func (c *Client) ListWorkers(ctx context.Context) (ws []WorkerStatus, skipped int, err error) {
	l, err := workersWith(ctx, c.listWorkers)
	return l.ws, l.skipped, err
}

// ListWorkersCordons is ListWorkers with every cordon it read, registered
// worker or not (none when the cordons may not be listed, which skipped
// counts): drover workers names the cordons of no registered worker from
// them, where it read them all a second time (client.Cordons).
func (c *Client) ListWorkersCordons(ctx context.Context) (ws []WorkerStatus, cordons map[string]*store.Cordon, skipped int, err error) {
	l, err := workersWith(ctx, c.listWorkers)
	return l.ws, l.cordons, l.skipped, err
}

// workersWith is list's answer ended with ctx's error once ctx is done
// (withCtx), for ListWorkers and Registrations.
func workersWith(ctx context.Context, list func(context.Context) (workerList, error)) (workerList, error) {
	l, err := withCtx(ctx, func() (workerList, error) { return list(ctx) })
	if err != nil {
		return workerList{}, err
	}
	return l, nil
}

func (c *Client) listWorkers(ctx context.Context) (workerList, error) {
	l, err := c.registrations(ctx)
	if err != nil {
		return workerList{}, err
	}
	if err := ctx.Err(); err != nil {
		return workerList{}, err
	}
	refs, hidden, err := c.st.ListAssignments()
	if err != nil {
		return workerList{}, err
	}
	ws := l.ws
	placed := map[string]int{}
	for _, r := range refs {
		placed[r.Worker]++
	}
	for i := range ws {
		w := &ws[i]
		if slices.Contains(hidden, w.ID) {
			// Its registration read, its directory not: its counts are
			// not known, and not 0.
			l.skipped++
		}
		// A worker runs what it is given up to its capacity, and only a
		// prefetch lets more wait there: told apart by count, not by
		// reading every assignment's running mark (a dashboard asks every
		// 2 s, and a fleet has thousands placed).
		n := placed[w.ID]
		w.Running = min(n, w.Capacity)
		w.Waiting = n - w.Running
	}
	return l, nil
}

// Registrations lists the registered workers and their cordons without
// their running counts: one listing and one read per worker, where
// ListWorkers also lists every worker's assignments. skipped counts those
// it could not read (as ListWorkers): a reader that skipped some cannot
// say no worker fits. It ends with ctx's error once ctx is done, its reads
// left to end in the background.
func (c *Client) Registrations(ctx context.Context) (ws []WorkerStatus, skipped int, err error) {
	l, err := workersWith(ctx, c.registrations)
	return l.ws, l.skipped, err
}

// registrations reads the registrations and the cordons, once each; its
// answer's cordons are every one read.
func (c *Client) registrations(ctx context.Context) (workerList, error) {
	entries, skipped, err := c.st.ListWorkers()
	if err != nil {
		return workerList{}, err
	}
	if err := ctx.Err(); err != nil {
		return workerList{}, err
	}
	cordons, cordonsHidden, err := c.st.Cordons()
	if err != nil {
		return workerList{}, err
	}
	if cordonsHidden {
		skipped++ // which are cordoned is not known: no claim that one fits
	}
	out := make([]WorkerStatus, len(entries))
	for i, e := range entries {
		out[i] = WorkerStatus{WorkerInfo: *e.Info, Cordon: cordons[e.Info.ID]}
		out[i].Token = "" // the worker's own business, not a reader's
	}
	return workerList{ws: out, cordons: cordons, skipped: skipped}, nil
}

// CordonWorker cordons worker id: the leader places no new work on it until
// UncordonWorker, across the worker's restarts; what is placed on it runs.
// The worker need not be registered. existing is the cordon already in
// place, if any (then nothing changed). ctx ended before it sends
// anything, it returns ctx's error, having changed nothing; once sent, it
// waits for the reply (bounded by the session), whatever ctx says.
func (c *Client) CordonWorker(ctx context.Context, id, note string) (existing *store.Cordon, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.st.CordonWorker(id, store.Cordon{Note: note, By: whoAmI(), Since: time.Now().UTC()})
}

// Cordons reads every cordon, registered worker or not; hidden says the
// cordons may not be listed with these credentials (none is returned). It
// ends with ctx's error once ctx is done, its reads left to end in the
// background.
func (c *Client) Cordons(ctx context.Context) (cordons map[string]*store.Cordon, hidden bool, err error) {
	type read struct {
		cordons map[string]*store.Cordon
		hidden  bool
	}
	r, err := withCtx(ctx, func() (read, error) {
		cordons, hidden, err := c.st.Cordons()
		return read{cordons, hidden}, err
	})
	return r.cordons, r.hidden, err
}

// UncordonWorker lifts worker id's cordon; was says whether there was one.
// As CordonWorker, it returns ctx's error only before it sends anything.
func (c *Client) UncordonWorker(ctx context.Context, id string) (was bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return c.st.UncordonWorker(id)
}

// whoAmI is user@host of this process, for a cordon's record; the parts
// not known, or not fit for a note, are left out.
func whoAmI() string {
	who := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = u.Username
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		if who != "" {
			who += "@"
		}
		who += host
	}
	if store.ValidateCordonNote(who) != nil {
		return ""
	}
	return who
}

// SchedulerInfo names one scheduler process.
type SchedulerInfo struct {
	ID   string `json:"id"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Version is the scheduler's release; empty for one older than
	// 2026-12-04, which does not say.
	Version string `json:"version,omitempty"`
	// HTTP is the URL of its dashboard, API and metrics (drover scheduler
	// --http); empty when it serves none, or is older than 2026-12-06.
	HTTP string `json:"http,omitempty"`
	// RecordError says why the scheduler's election record could not be
	// read (malformed, or of a newer Drover); ID, Host and PID are then
	// unknown (zero). It holds its place in line all the same.
	RecordError string `json:"record_error,omitempty"`
}

// LeaderInfo is the current leader, its epoch and the standbys in line.
type LeaderInfo struct {
	SchedulerInfo
	Epoch int64 `json:"epoch"`
	// EpochError says why the epoch record could not be read (malformed,
	// or of a newer Drover); Epoch and Since are then unknown (zero). The
	// leader is still known: it is the election's, not the record's.
	EpochError string          `json:"epoch_error,omitempty"`
	Since      time.Time       `json:"since,omitzero"`
	Standbys   []SchedulerInfo `json:"standbys"`
}

// Leader reports who leads. The epoch is the one the leader recorded; right
// after a takeover it may still name the previous term for a moment. An
// epoch record that does not decode is no error: the leader and standbys
// are reported with EpochError set. The record is left in place, as only
// a leader writes it: the next term's BumpEpoch moves it to deadletter and
// counts on from its znode's version, which a client's delete would reset.
// It ends with ctx's error once ctx is done, its reads left to end in the
// background.
func (c *Client) Leader(ctx context.Context) (LeaderInfo, error) {
	return withCtx(ctx, func() (LeaderInfo, error) { return c.leader(ctx) })
}

func (c *Client) leader(ctx context.Context) (LeaderInfo, error) {
	line, err := c.st.Candidates()
	if err != nil {
		return LeaderInfo{}, err
	}
	if len(line) == 0 {
		return LeaderInfo{}, ErrNoLeader
	}
	if err := ctx.Err(); err != nil {
		return LeaderInfo{}, err
	}
	rec, _, err := c.st.Epoch()
	var epochErr string
	switch {
	case errors.Is(err, store.ErrMalformed), errors.Is(err, store.ErrUnsupportedVersion):
		epochErr = err.Error() + " (left for the next leader to move to deadletter)"
	case errors.Is(err, store.ErrNoNode), err == nil && rec.Epoch == 0:
		// Not written yet (a first term's first moments), or deleted by
		// hand mid-term and perhaps made again, empty, by a store's open:
		// the leader is known, its epoch not (it read as 0).
		epochErr = "no epoch in its record yet (a new term writes it; deleted by hand, the next term does)"
	case err != nil:
		return LeaderInfo{}, err
	}
	info := func(e store.CandidateEntry) SchedulerInfo {
		si := SchedulerInfo{ID: e.Info.ID, Host: e.Info.Host, PID: e.Info.PID, Version: e.Info.Version, HTTP: e.Info.HTTP}
		if e.InfoErr != nil {
			si.RecordError = e.InfoErr.Error()
		}
		return si
	}
	out := LeaderInfo{SchedulerInfo: info(line[0]), Epoch: rec.Epoch, EpochError: epochErr, Standbys: []SchedulerInfo{}}
	if epochErr == "" && strings.EqualFold(rec.Leader, line[0].Info.ID) {
		out.Since = rec.Since
	}
	for _, e := range line[1:] {
		out.Standbys = append(out.Standbys, info(e))
	}
	return out, nil
}

var (
	// ErrFinished means a cancel came for a task that already ended.
	ErrFinished = errors.New("task already finished")
	// ErrNotFinished means a retry came for a task that has not ended (or
	// succeeded).
	ErrNotFinished = errors.New("task cannot be retried")
	// ErrUnconfirmed means a change whose reply was lost could not be found
	// applied, nor found not applied: what is known is in the error.
	ErrUnconfirmed = errors.New("outcome unknown")
)

// Cancel ends a task that has not finished: a queued task leaves the queue, a
// placed one loses its assignment (its worker kills the process), and the task
// gets its one result, state cancelled, in the same transaction. A cancel
// whose reply was lost is looked for once the store is back: found applied,
// it succeeds; one that cannot be looked for (the store not back in time,
// or closed with the cancel in flight) fails with ErrUnconfirmed. A record
// of the task that does not decode is moved to deadletter (Deadletters
// lists it), and the error (store.ErrMalformed) says so. A task with no record anywhere
// fails with store.ErrUnknownTask. ctx ended before it sends its write (its
// look at the task included), it returns ctx's error, having changed
// nothing; once sent, it waits for the reply (bounded by the session), and
// for the look for a lost one, whatever ctx says.
func (c *Client) Cancel(ctx context.Context, id string) (*store.Task, error) {
	id, err := taskID(id)
	if err != nil {
		return nil, err
	}
	var unknown *store.Task // the record of a cancel whose reply was lost
	for try := 0; ; try++ {
		var (
			t   *store.Task
			loc store.Location
		)
		if unknown == nil {
			// Nothing of this cancel landed: ctx may end it.
			t, loc, err = c.lookupCtx(ctx, id)
		} else {
			t, loc, err = c.lookup(context.Background(), id)
		}
		if err != nil {
			if unknown != nil { // the look for a lost reply failed
				return nil, fmt.Errorf("cancel %s: %w: the reply was lost, and the look for the cancel failed: %w", id, ErrUnconfirmed, err)
			}
			return nil, err
		}
		if t.State.Terminal() {
			if unknown != nil && t.State == store.StateCancelled && t.FinishedAt.Equal(unknown.FinishedAt) {
				return t, nil // ours, its reply lost
			}
			return t, fmt.Errorf("%w: %s", ErrFinished, inState(id, t.State))
		}
		if unknown != nil && t.Gen != unknown.Gen {
			// Retried since (a retry queues only a finished task): ended
			// by this cancel or on its own, it is another run now, which
			// this cancel was not for.
			return t, fmt.Errorf("cancel %s: %w: the reply was lost, and the task has been retried since (now %s, generation %d): not cancelled again",
				id, ErrUnconfirmed, t.State, t.Gen)
		}
		unknown = nil // not applied: the task would have ended
		now := c.now().UTC()
		done := t.Clone()
		if t.State == store.StateAssigned || t.State == store.StateRunning {
			// Assigned, at the version the delete checks: its worker never
			// marked it running, so it never started (a prefetched task).
			done.AddAttempt(store.Attempt{N: t.Attempt, Worker: t.Worker, StartedAt: t.StartedAt,
				FinishedAt: now, ExitCode: -1, Error: "cancelled", Cancelled: true, Unstarted: t.State == store.StateAssigned})
		}
		done.State, done.FinishedAt, done.Error, done.NotBefore = store.StateCancelled, now, "cancelled", time.Time{}
		minus1 := -1
		done.ExitCode = &minus1 // no code of its own, as the JSON form says
		if err := ctx.Err(); err != nil {
			return nil, err // nothing sent
		}
		if testHookCancelCommit != nil {
			testHookCancelCommit()
		}
		err = c.st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
			txn.Delete(loc.Path, loc.Stat.Version)
			return txn.Finish(done.Clone())
		})
		if err == nil {
			return done, nil
		}
		// It moved on (placed, started, finished) while we looked: look again.
		if try < 20 && (errors.Is(err, store.ErrNoNode) || errors.Is(err, store.ErrBadVersion) || errors.Is(err, store.ErrNodeExists)) {
			continue
		}
		// The reply was lost: look again once back. The task has ended
		// with this record if the cancel was applied, and stands as it
		// was (or moved on) if not.
		if try < 20 && lostReply(err) && c.reconnected(context.Background()) {
			unknown = done
			continue
		}
		return nil, fmt.Errorf("cancel %s: %w", id, unconfirmed(err))
	}
}

// Retry queues a finished task (dead, failed or cancelled) for one more
// attempt, keeping its history; its result record is removed in the same
// transaction. One more: should it fail, it is not retried again, though a
// task cancelled with retries left had more (they were the cancel's to end).
// The attempt is the next one, or, for a task cancelled while queued, the
// one that never ran. A retry whose reply was lost is looked for once the
// store is back, as a cancel is: it succeeds when the task carries its mark
// (RetriedAt), is sent again when the result it read is still there, and
// otherwise (or when it cannot be looked for, as a cancel) fails with
// ErrUnconfirmed. A record of the task that does not
// decode is moved to deadletter, as by Cancel, and a task with no record
// anywhere fails with store.ErrUnknownTask. ctx ends it as it ends Cancel:
// with ctx's error before its write is sent, not after.
func (c *Client) Retry(ctx context.Context, id string) (*store.Task, error) {
	id, err := taskID(id)
	if err != nil {
		return nil, err
	}
	var (
		t    *store.Task
		loc  store.Location
		next *store.Task
	)
	for try := 0; ; try++ {
		// Nothing of this retry landed yet (a write refused changed
		// nothing): ctx may end it.
		t, loc, err = c.lookupCtx(ctx, id)
		if err != nil {
			return nil, err
		}
		if !t.State.Terminal() || t.State == store.StateSucceeded {
			return t, fmt.Errorf("%w: %s", ErrNotFinished, inState(id, t.State))
		}
		next = c.retried(t)
		if testHookRetryCommit != nil {
			testHookRetryCommit()
		}
		err = c.commitRetry(ctx, id, loc, next)
		if err != nil && errors.Is(err, ctx.Err()) {
			return nil, err // nothing sent
		}
		var oe *store.OpError
		if try < 20 && (errors.Is(err, store.ErrBadVersion) || errors.Is(err, store.ErrNoNode)) && errors.As(err, &oe) && oe.Path == loc.Path {
			// The result moved on while we looked (another client's
			// retry, retention): look again, and say what is there.
			continue
		}
		break
	}
	done := next
	for try := 0; err != nil && lostReply(err) && try < maxSubmitTries && c.reconnected(context.Background()); try++ {
		// The reply was lost. Applied, the retry queued the task with its
		// mark, which the task keeps as it moves on; not applied, the
		// result read is still there. A result gone without the mark in
		// its place was someone else's doing: retention pruned it, or
		// another client retried the task.
		now, nloc, lerr := c.lookup(context.Background(), id)
		switch {
		case errors.Is(lerr, store.ErrUnknownTask):
			err = fmt.Errorf("%w: the reply was lost, and no record of the task is left (retention may have pruned its result): whether the retry was applied is unknown", ErrUnconfirmed)
		case lerr != nil:
			err = fmt.Errorf("%w: the reply was lost, and the look for the retry failed: %w", ErrUnconfirmed, lerr)
		case nloc.Path == loc.Path && nloc.Stat.Czxid == loc.Stat.Czxid:
			// Not applied. The result may have been rewritten since it was
			// read (its worker filed a cancelled run's output): planned
			// again from what is there now, at its version.
			if nloc.Stat.Version != loc.Stat.Version {
				loc, next = nloc, c.retried(now)
				done = next
			}
			err = c.commitRetry(context.Background(), id, loc, next)
		case now.RetriedAt.Equal(next.RetriedAt):
			err, done = nil, now // applied
		default:
			err = fmt.Errorf("%w: the reply was lost, and the result retried is gone, but the task (now %s, attempt %d) lacks this retry's mark: another client retried it, or retried it again since",
				ErrUnconfirmed, now.State, now.Attempt)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, unconfirmed(err))
	}
	return done, nil
}

// retried is the record a retry of t (finished) queues.
func (c *Client) retried(t *store.Task) *store.Task {
	next := t.Clone()
	n := len(t.History)
	ran := n > 0 && t.History[n-1].N == t.Attempt
	if ran {
		next.Attempt++
	} // else cancelled while queued: that attempt never ran, and runs now
	// One more attempt: the next failure ends the task, and a loss of its
	// worker, as any lost attempt, does not count (with a limit below the
	// failures, the leader took that loss for the end: "worker lost too
	// often"). Retries left when a cancel ended it are the cancel's.
	// Retries stays as submitted: it names the end, failed or dead.
	limit := next.Failures()
	next.RetryLimit = &limit
	// Nor do the losses so far count against the limit of losses: a task
	// that died of them (a worker out of files, say) runs again.
	next.LostBefore = next.Losses()
	if ran && next.History[n-1].Stdout == "" && next.History[n-1].Stderr == "" {
		next.KeepLastOutput(t.Stdout, t.Stderr) // the result held it
	}
	next.ExitCode, next.Error, next.Stdout, next.Stderr = nil, "", "", ""
	next.FinishedAt, next.NotBefore = time.Time{}, time.Time{}
	// Asked for now: a slot's task that missed its starting deadline (or
	// was cancelled queued) runs, its attempt the first still.
	next.StartBy = time.Time{}
	// The next generation: a leader may still hold the item a cancel
	// deleted, and must not take this one for it (see store.Task.Gen).
	next.Gen++
	next.RetriedAt = c.now().UTC()
	return next
}

// commitRetry queues next in place of id's result at loc. ctx ended before
// the write is sent (its read of the schedule included), it returns ctx's
// error, nothing sent.
func (c *Client) commitRetry(ctx context.Context, id string, loc store.Location, next *store.Task) error {
	for try := 0; ; try++ {
		// A run of a schedule is tracked again by it (store.Schedule.
		// Rerun), in the same write: forbid and replace see it, and
		// its outcome is filed anew. The leader filed it when it ended.
		sched, err := withCtx(ctx, func() (*rerun, error) { return c.rerunOf(next) })
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err = c.st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
			txn.Unfinish(id, loc.Stat.Version)
			// next itself: Enqueue makes it the record it writes
			// (queued, no worker), which the caller is given.
			if err := txn.EnqueueRetried(next); err != nil {
				return err
			}
			if sched == nil {
				return nil
			}
			if txn.Size()+len(sched.path)+len(sched.data) <= store.MaxRecordSize {
				// Both records at their largest would outgrow one
				// request (ZooKeeper drops the connection): then the
				// run is retried untracked, as before schedules
				// tracked retries.
				txn.Set(sched.path, sched.data, sched.version)
			}
			return nil
		})
		var oe *store.OpError
		if sched != nil && try < 20 && (errors.Is(err, store.ErrBadVersion) || errors.Is(err, store.ErrNoNode)) &&
			errors.As(err, &oe) && oe.Path == sched.path {
			continue // the leader wrote (or swept) the schedule meanwhile: read it again
		}
		return err
	}
}

// rerun is a schedule's record, encoded, that tracks a retried run again,
// with its path and the version read.
type rerun struct {
	path    string
	data    []byte
	version int32
}

// rerunOf reads the schedule whose run t is (DROVER_SCHEDULE, which its
// firing or trigger set) and returns its record tracking t again; nil when t
// is no schedule's run, or its schedule is gone, was added again since t's
// slot (a run its record does not name, of a slot before it was created),
// is unreadable or would not fit: the retry goes on without it, as before
// schedules tracked retries.
func (c *Client) rerunOf(t *store.Task) (*rerun, error) {
	name := t.Env["DROVER_SCHEDULE"]
	if name == "" || store.ValidateNodeName(name) != nil {
		return nil, nil
	}
	rec, version, err := c.readSchedule(name)
	if errors.Is(err, ErrNoSchedule) || errors.Is(err, store.ErrMalformed) || errors.Is(err, store.ErrUnsupportedVersion) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var slot time.Time
	if sec, err := strconv.ParseInt(t.Env["DROVER_SLOT"], 10, 64); err == nil {
		slot = time.Unix(sec, 0).UTC()
	}
	if !rec.Tracks(t.ID) && !slot.After(rec.CreatedAt.Truncate(time.Second)) {
		// Perhaps a run of a schedule of that name removed before this
		// one was added (rm, then add, is how a schedule is changed),
		// which, tracked, held a forbid schedule's every slot. This one's
		// slots come after its creation, in a later second (DROVER_SLOT
		// has whole seconds); so do its triggers but those in the second
		// it was added, which, once its record no longer names them, are
		// retried untracked: within that second the two look alike.
		return nil, nil
	}
	rec.Rerun(t.ID, slot)
	data, err := rec.EncodeFit()
	if err != nil {
		return nil, nil
	}
	return &rerun{path: c.st.Layout().Schedule(name), data: data, version: version}, nil
}

// testHookRetryCommit and testHookCancelCommit, when set by a test, run in
// Retry and Cancel just before they send their write.
var testHookRetryCommit, testHookCancelCommit func()

// unconfirmed marks err, the failure of a write that may have been applied
// (its reply lost and no look for it possible, or the store closed with it
// in flight), with ErrUnconfirmed: the caller must not take it for a write
// refused. Other errors pass as they are.
func unconfirmed(err error) error {
	if !errors.Is(err, ErrUnconfirmed) && (lostReply(err) || errors.Is(err, store.ErrClosed)) {
		return fmt.Errorf("%w: %w", ErrUnconfirmed, err)
	}
	return err
}

// lostReply reports whether err leaves a write's outcome unknown: the
// connection was lost after the request was sent.
func lostReply(err error) bool {
	return errors.Is(err, store.ErrConnection) || errors.Is(err, store.ErrSessionExpired)
}

// reconnected waits, for as long as a connect may take and ctx allows,
// until the store has a session again and a sync through it has been
// answered; it reports whether it has. A sync whose connection is lost too
// waits for the next one, as long again. (A submit cancelled meanwhile, by
// Ctrl-C say, waited out the connect.)
func (c *Client) reconnected(ctx context.Context) bool {
	if testHookReconnecting != nil {
		testHookReconnecting()
	}
	for try := 0; ; try++ {
		wctx, cancel := context.WithTimeout(ctx, c.st.SessionTimeout())
		_, err := c.st.CurrentSession(wctx)
		cancel()
		if err != nil {
			return false
		}
		// The look for the lost write that follows must see it if it
		// landed: the session may be on another server now, behind the
		// ensemble's leader (a sync brings it up to the leader's). A sync
		// whose connection is lost too (a whole ensemble restarting) is
		// sent again once back.
		err = c.st.Sync(c.st.Layout().Root)
		if err == nil || !lostReply(err) || try == maxSubmitTries {
			return err == nil
		}
	}
}

// DeadletterEntry is data moved aside because it did not decode.
type DeadletterEntry struct {
	ID string `json:"id"`
	store.Deadletter
}

// Deadletters lists the newest limit (0: all) records moved to the
// deadletter directory, oldest first, and how many there are in all. A
// record holds up to a znode's worth of data, so reading them all can be
// gigabytes. It ends with ctx's error once ctx is done, its reads left to
// end in the background.
func (c *Client) Deadletters(ctx context.Context, limit int) ([]DeadletterEntry, int, error) {
	type read struct {
		list  []DeadletterEntry
		total int
	}
	r, err := withCtx(ctx, func() (read, error) {
		list, total, err := c.deadletters(ctx, limit)
		return read{list, total}, err
	})
	return r.list, r.total, err
}

// zkTime is a znode's time from its stat, UTC; zero for none (a stat not
// read: UnixMilli(0), 1970).
func zkTime(t time.Time) time.Time {
	if t.UnixMilli() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

func (c *Client) deadletters(ctx context.Context, limit int) ([]DeadletterEntry, int, error) {
	dir := c.st.Layout().Deadletter()
	names, err := c.st.Children(dir)
	if err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	total := len(names)
	sort.Strings(names) // sequential names sort by age
	if limit > 0 && len(names) > limit {
		names = names[len(names)-limit:]
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = dir + "/" + n
	}
	out := []DeadletterEntry{}
	for i, rd := range c.st.GetMany(paths) { // pipelined
		if errors.Is(rd.Err, store.ErrNoNode) {
			continue // pruned meanwhile
		}
		if errors.Is(rd.Err, store.ErrNoAuth) {
			// Moved aside by a process not given the read-only identity
			// (DROVER_ZK_AUTH_READONLY): listed by name, as an unreadable
			// record is, not a listing the viewer may not make.
			// Its time is when ZooKeeper made it (an exists asks for no
			// right to read it).
			_, st, _ := c.st.Exists(paths[i])
			out = append(out, DeadletterEntry{ID: names[i], Deadletter: store.Deadletter{At: zkTime(st.Ctime),
				Reason: "(not readable with these credentials: moved aside by a process not given the read-only identity)"}})
			continue
		}
		if rd.Err != nil {
			return nil, 0, rd.Err
		}
		e := DeadletterEntry{ID: names[i]}
		if err := store.Decode(rd.Data, &e.Deadletter); err != nil {
			// When it was moved aside, by ZooKeeper's clock, rather than
			// none (year 1 in the JSON); its data, the record as it is,
			// for the operator to read.
			e.Deadletter = store.Deadletter{At: zkTime(rd.Stat.Ctime), Data: rd.Data, Reason: "(deadletter record unreadable: " + err.Error() + ")"}
		}
		out = append(out, e)
	}
	return out, total, nil
}
