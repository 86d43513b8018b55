// Package client is Drover's Go API for submitting tasks, waiting for them and
// looking at the cluster. The drover CLI is built on it.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

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
}

// New returns a client over an open store.
func New(st *store.Store) *Client { return &Client{st: st, now: time.Now} }

// Duration is a time.Duration written as a Go duration string ("10m").
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string like \"10m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// TaskSpec is what a user submits: one JSONL line of `drover submit -f`.
type TaskSpec struct {
	Name string   `json:"name,omitempty"`
	Cmd  []string `json:"cmd,omitempty"`
	// Handler names a Go handler registered on workers, run instead of Cmd
	// with Payload as its input.
	Handler  string            `json:"handler,omitempty"`
	Payload  []byte            `json:"payload,omitempty"`
	Shell    bool              `json:"shell,omitempty"`
	Env      map[string]string `json:"env,omitempty"`
	Retries  int               `json:"retries,omitempty"`
	Timeout  Duration          `json:"timeout,omitempty"`
	On       map[string]string `json:"on,omitempty"`
	Priority string            `json:"priority,omitempty"`
	Key      string            `json:"key,omitempty"`
}

// Task turns a spec into a validated task record with a new id.
func (s TaskSpec) Task(now time.Time) (*store.Task, error) {
	prio, err := store.ParsePriority(s.Priority)
	if err != nil {
		return nil, err
	}
	if s.Timeout < 0 {
		return nil, fmt.Errorf("timeout %v: must not be negative", time.Duration(s.Timeout))
	}
	if len(s.Key) > 1024 {
		return nil, fmt.Errorf("key of %d bytes: at most 1024", len(s.Key))
	}
	t := &store.Task{
		ID: ulid.Make().String(), Name: s.Name, Cmd: s.Cmd, Handler: s.Handler, Payload: s.Payload, Shell: s.Shell, Env: s.Env, Retries: s.Retries,
		Timeout: store.MillisOf(time.Duration(s.Timeout)), On: s.On, Priority: prio, Key: s.Key,
		SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued,
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if _, err := store.Encode(t.Clone()); err != nil {
		return nil, err
	}
	return t, nil
}

// Submit validates every spec, then writes them all in as few transactions as
// their size allows. Nothing is written when any spec is invalid.
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
	res, err := c.st.Submit(ctx, tasks)
	if err != nil {
		return res, fmt.Errorf("submit: %w", err)
	}
	return res, nil
}

// MaxLine bounds one JSONL line.
const MaxLine = 1 << 20

// ReadSpecs reads JSONL task specs, one per line; blank lines are skipped. Errors
// name the line.
func ReadSpecs(r io.Reader) ([]TaskSpec, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), MaxLine)
	var specs []TaskSpec
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var s TaskSpec
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%w: line %d: more than one JSON value", ErrInvalid, n)
		}
		if _, err := s.Task(time.Now()); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
		}
		specs = append(specs, s)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: a line is longer than %d bytes", ErrInvalid, MaxLine)
		}
		return nil, err
	}
	return specs, nil
}

// Wait blocks until the task has a result.
func (c *Client) Wait(ctx context.Context, id string) (*store.Task, error) {
	if err := store.ValidateTaskID(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, _, err := c.st.LookupTask(id); err != nil {
		return nil, err // unknown tasks would otherwise be waited for forever
	}
	return c.st.WaitResult(ctx, id)
}

// Status finds a task wherever it is.
func (c *Client) Status(id string) (*store.Task, error) {
	if err := store.ValidateTaskID(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	t, _, err := c.st.LookupTask(id)
	return t, err
}

// List returns tasks in state (all states when empty), newest first, at most
// limit (0: no limit). Records that do not decode are skipped.
func (c *Client) List(state store.State, limit int) ([]*store.Task, error) {
	var out []*store.Task
	lay := c.st.Layout()
	if state == "" || state == store.StateQueued {
		ts, err := c.listBuckets(lay.Queue(), limit)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	if state == "" || state == store.StateAssigned || state == store.StateRunning {
		refs, err := c.st.Assignments()
		if err != nil {
			return nil, err
		}
		for _, r := range refs {
			if t := c.read(r.Path); t != nil {
				out = append(out, t)
			}
		}
	}
	if state == "" || state.Terminal() {
		ts, err := c.listBuckets(lay.Results(), 0)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	filtered := out[:0]
	for _, t := range out {
		if state == "" || t.State == state {
			filtered = append(filtered, t)
		}
	}
	sort.Slice(filtered, func(i, j int) bool { return filtered[i].ID > filtered[j].ID })
	if limit > 0 && len(filtered) > limit {
		filtered = filtered[:limit]
	}
	return filtered, nil
}

// listBuckets reads the tasks of a bucketed directory, newest buckets first,
// stopping once limit tasks were read (0: all).
func (c *Client) listBuckets(dir string, limit int) ([]*store.Task, error) {
	var out []*store.Task
	b1s, err := c.st.Children(dir)
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(b1s)))
	for _, b1 := range b1s {
		b2s, err := c.st.Children(dir + "/" + b1)
		if errors.Is(err, store.ErrNoNode) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sort.Sort(sort.Reverse(sort.StringSlice(b2s)))
		for _, b2 := range b2s {
			ids, err := c.st.Children(dir + "/" + b1 + "/" + b2)
			if errors.Is(err, store.ErrNoNode) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if t := c.read(dir + "/" + b1 + "/" + b2 + "/" + id); t != nil {
					out = append(out, t)
				}
			}
			if limit > 0 && len(out) >= limit {
				return out, nil
			}
		}
	}
	return out, nil
}

func (c *Client) read(p string) *store.Task {
	data, _, err := c.st.Get(p)
	if err != nil {
		return nil
	}
	t, err := store.DecodeTask(data)
	if err != nil {
		return nil
	}
	return t
}

// WorkerStatus is a registered worker and its load.
type WorkerStatus struct {
	store.WorkerInfo
	Running int `json:"running"`
}

// Workers lists registered workers.
func (c *Client) Workers() ([]WorkerStatus, error) {
	entries, err := c.st.Workers()
	if err != nil {
		return nil, err
	}
	refs, err := c.st.Assignments()
	if err != nil {
		return nil, err
	}
	running := map[string]int{}
	for _, r := range refs {
		running[r.Worker]++
	}
	out := make([]WorkerStatus, len(entries))
	for i, e := range entries {
		out[i] = WorkerStatus{WorkerInfo: *e.Info, Running: running[e.Info.ID]}
	}
	return out, nil
}

// SchedulerInfo names one scheduler process.
type SchedulerInfo struct {
	ID   string `json:"id"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
}

// LeaderInfo is the current leader, its epoch and the standbys in line.
type LeaderInfo struct {
	SchedulerInfo
	Epoch    int64           `json:"epoch"`
	Since    time.Time       `json:"since,omitzero"`
	Standbys []SchedulerInfo `json:"standbys"`
}

// Leader reports who leads. The epoch is the one the leader recorded; right
// after a takeover it may still name the previous term for a moment.
func (c *Client) Leader() (LeaderInfo, error) {
	line, err := c.st.Candidates()
	if err != nil {
		return LeaderInfo{}, err
	}
	if len(line) == 0 {
		return LeaderInfo{}, ErrNoLeader
	}
	rec, _, err := c.st.Epoch()
	if err != nil {
		return LeaderInfo{}, err
	}
	info := func(e store.CandidateEntry) SchedulerInfo {
		return SchedulerInfo{ID: e.Info.ID, Host: e.Info.Host, PID: e.Info.PID}
	}
	out := LeaderInfo{SchedulerInfo: info(line[0]), Epoch: rec.Epoch, Standbys: []SchedulerInfo{}}
	if strings.EqualFold(rec.Leader, line[0].Info.ID) {
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
)

// Cancel ends a task that has not finished: a queued task leaves the queue, a
// placed one loses its assignment (its worker kills the process), and the task
// gets its one result, state cancelled, in the same transaction.
func (c *Client) Cancel(id string) (*store.Task, error) {
	if err := store.ValidateTaskID(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for try := 0; ; try++ {
		t, loc, err := c.st.LookupTask(id)
		if err != nil {
			return nil, err
		}
		if t.State.Terminal() {
			return t, fmt.Errorf("%w: %s is %s", ErrFinished, id, t.State)
		}
		now := c.now().UTC()
		done := t.Clone()
		if t.State == store.StateAssigned || t.State == store.StateRunning {
			done.History = append(done.History, store.Attempt{N: t.Attempt, Worker: t.Worker, StartedAt: t.StartedAt,
				FinishedAt: now, ExitCode: -1, Error: "cancelled"})
		}
		done.State, done.FinishedAt, done.Error, done.NotBefore = store.StateCancelled, now, "cancelled", time.Time{}
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
		return nil, fmt.Errorf("cancel %s: %w", id, err)
	}
}

// Retry queues a finished task (dead, failed or cancelled) for one more
// attempt, keeping its history; its result record is removed in the same
// transaction.
func (c *Client) Retry(id string) (*store.Task, error) {
	if err := store.ValidateTaskID(id); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	t, loc, err := c.st.LookupTask(id)
	if err != nil {
		return nil, err
	}
	if !t.State.Terminal() || t.State == store.StateSucceeded {
		return t, fmt.Errorf("%w: %s is %s", ErrNotFinished, id, t.State)
	}
	next := t.Clone()
	next.Attempt++
	next.ExitCode, next.Error, next.Stdout, next.Stderr = nil, "", "", ""
	next.FinishedAt, next.NotBefore = time.Time{}, time.Time{}
	err = c.st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error {
		txn.Delete(loc.Path, loc.Stat.Version)
		return txn.Enqueue(next.Clone())
	})
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	next.State = store.StateQueued
	return next, nil
}
