package web

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/drover-sched/drover/store"
)

// minScan is the fewest task records one listing may read; a listing may read
// scanPerResult records per task it is asked for, if that is more.
const (
	minScan       = 1000
	scanPerResult = 10
)

// scanBudget is how many task records a listing of limit tasks may read.
func scanBudget(limit int) int { return max(scanPerResult*limit, minScan) }

// listing is one API listing of tasks: client.ListCounting's walk (queue,
// assignments, results, each newest first), but reading at most budget task
// records and stopping when ctx ends. client.List has neither bound: with a
// state filter few records match, it reads every record kept (up to a million)
// and goes on after the client has gone.
type listing struct {
	st      *store.Store
	keep    func(*store.Task) bool
	limit   int
	budget  int // records left to read
	scanned int // records read
	// truncated is set when the budget ran out before the walk was done: the
	// newest matching tasks may lie beyond what was read.
	truncated bool
}

// getBatch is how many records a listing reads between checks of ctx.
const getBatch = 256

// listTasks returns the newest tasks in state (all states when empty), at
// most limit, reading at most budget task records, and the listing itself for
// whether it was truncated and how much it read.
func listTasks(ctx context.Context, st *store.Store, state store.State, limit, budget int) ([]*store.Task, *listing, error) {
	l := &listing{st: st, limit: limit, budget: budget,
		keep: func(t *store.Task) bool { return state == "" || t.State == state }}
	lay := st.Layout()
	var out []*store.Task
	// Each source yields its newest matching tasks, so the newest limit of
	// their union are among them.
	if state == "" || state == store.StateQueued {
		ts, err := l.buckets(ctx, lay.Queue())
		if err != nil {
			return nil, l, err
		}
		out = append(out, ts...)
	}
	if !l.truncated && (state == "" || state == store.StateAssigned || state == store.StateRunning) {
		refs, err := st.Assignments()
		if err != nil {
			return nil, l, fmt.Errorf("list assignments: %w", err)
		}
		paths := make([]string, len(refs))
		for i, r := range refs {
			paths[i] = r.Path
		}
		ts, err := l.read(ctx, paths, len(paths)) // not in id order: all of them
		if err != nil {
			return nil, l, err
		}
		out = append(out, ts...)
	}
	if !l.truncated && (state == "" || state.Terminal()) {
		ts, err := l.buckets(ctx, lay.Results())
		if err != nil {
			return nil, l, err
		}
		out = append(out, ts...)
	}
	// A task read as queued and again as assigned while it moved is shown once.
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	dedup := out[:0]
	for i, t := range out {
		if i == 0 || t.ID != out[i-1].ID {
			dedup = append(dedup, t)
		}
	}
	if len(dedup) > limit {
		dedup = dedup[:limit]
	}
	return dedup, l, nil
}

// buckets reads the matching tasks of a bucketed directory (<dir>/<b1>/<b2>/<id>),
// newest first, stopping once limit were found or the budget runs out.
func (l *listing) buckets(ctx context.Context, dir string) ([]*store.Task, error) {
	var out []*store.Task
	b1s, err := l.st.Children(dir)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(b1s)))
	for _, b1 := range b1s {
		b2s, err := l.st.Children(dir + "/" + b1)
		if errors.Is(err, store.ErrNoNode) {
			continue // an empty bucket was removed
		}
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		sort.Sort(sort.Reverse(sort.StringSlice(b2s)))
		for _, b2 := range b2s {
			bucket := dir + "/" + b1 + "/" + b2
			ids, err := l.st.Children(bucket)
			if errors.Is(err, store.ErrNoNode) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("list tasks: %w", err)
			}
			sort.Sort(sort.Reverse(sort.StringSlice(ids)))
			var paths []string
			for _, id := range ids {
				if !store.IsManifestName(id) { // a manifest copies items listed here
					paths = append(paths, bucket+"/"+id)
				}
			}
			ts, err := l.read(ctx, paths, l.limit-len(out))
			if err != nil {
				return nil, err
			}
			out = append(out, ts...)
			if len(out) >= l.limit || l.truncated {
				return out, nil
			}
		}
	}
	return out, nil
}

// read reads the task records at paths in order, in batches, until want of
// them matched, while the budget lasts and ctx has not ended, and returns those
// that match. A record that does not decode is skipped; one that is gone (it
// moved on since it was listed) is ignored.
func (l *listing) read(ctx context.Context, paths []string, want int) ([]*store.Task, error) {
	var out []*store.Task
	for len(paths) > 0 && len(out) < want {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("list tasks: stopped after %d records: %w", l.scanned, err)
		}
		if l.budget <= 0 {
			l.truncated = true
			return out, nil
		}
		n := min(len(paths), getBatch, l.budget)
		for _, rd := range l.st.GetMany(paths[:n]) {
			switch {
			case errors.Is(rd.Err, store.ErrNoNode):
			case rd.Err != nil:
				return nil, fmt.Errorf("list tasks: %w", rd.Err)
			default:
				if t, err := store.DecodeTask(rd.Data); err == nil && l.keep(t) {
					out = append(out, t)
				}
			}
		}
		paths, l.budget, l.scanned = paths[n:], l.budget-n, l.scanned+n
	}
	return out, nil
}
