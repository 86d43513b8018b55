package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/drover-sched/drover/store"
)

// ListOptions says what ListTasks reads.
type ListOptions struct {
	State store.State // "": every state
	// States are more states to list (ParseStates): a task in State or in
	// any of them is listed.
	States []store.State
	Limit  int // most tasks returned; 0: no limit
	// Budget is the most task records read; 0: no bound. With a state
	// filter few records may match, and an unbounded listing then reads
	// every record kept (up to a million): a server bounds it.
	Budget int
	// MaxBytes bounds, roughly, the bytes the tasks of the page hold
	// (their records' fields, after Slim), and those each source's read keeps before
	// the sources are merged (so at most some three times it is held); 0:
	// no bound. A server's page of 1,000 tasks whose commands are near the
	// record size limit held a gigabyte. A source cut short by it is left
	// unread from there, as Budget leaves it, and the page loses its
	// oldest tasks to fit (Truncated), keeping one at least.
	MaxBytes int
	// Slim, if set, is called with each matching task as it is read, to
	// drop what the caller will not show (a payload, output): a page of 1,000
	// records near the size limit otherwise holds gigabytes while it is
	// gathered.
	Slim func(*store.Task)
	// Filter keeps only the tasks it names (after State), seeing each
	// record whole, before Slim. Its Before (a page's cursor) is where the
	// walk starts: the buckets and names of newer ids are left unread
	// (read and dropped, they took the budget, and a page past it came
	// back empty). A field not well formed is ErrInvalid.
	Filter TaskFilter
}

// TaskFilter narrows a listing (ListOptions.Filter): each field given
// keeps only the tasks it names.
type TaskFilter struct {
	Name     string // a glob the task's name matches (path.Match)
	Worker   string // the worker of its current or last attempt
	Schedule string // the schedule it is a run of
	Before   string // a task id: only tasks submitted before it (a page's cursor)
}

// Match returns f's predicate, nil when f is empty; a field that is not
// well formed is ErrInvalid, naming it (`name "[": ...`).
func (f TaskFilter) Match() (func(*store.Task) bool, error) {
	if _, err := path.Match(f.Name, ""); err != nil {
		return nil, fmt.Errorf("%w: name %q: %v", ErrInvalid, f.Name, err)
	}
	if f.Worker != "" {
		if err := store.ValidateNodeName(f.Worker); err != nil {
			return nil, fmt.Errorf("%w: worker %q: %v", ErrInvalid, f.Worker, err)
		}
	}
	if f.Schedule != "" {
		if err := store.ValidateNodeName(f.Schedule); err != nil {
			return nil, fmt.Errorf("%w: schedule %q: %v", ErrInvalid, f.Schedule, err)
		}
	}
	before := strings.ToUpper(f.Before) // as Status takes an id
	if before != "" && store.ValidateTaskID(before) != nil {
		// Said of the id as typed (only its case is not the cause), without
		// the sentinel's text.
		why := strings.TrimSuffix(store.ValidateTaskID(f.Before).Error(), ": "+store.ErrInvalidName.Error())
		return nil, fmt.Errorf("%w: before: %s", ErrInvalid, why)
	}
	if f == (TaskFilter{}) {
		return nil, nil
	}
	return func(t *store.Task) bool {
		if ok, _ := path.Match(f.Name, t.Name); f.Name != "" && !ok {
			return false
		}
		return (f.Worker == "" || t.Worker == f.Worker) && (f.Schedule == "" || t.Env["DROVER_SCHEDULE"] == f.Schedule) &&
			(before == "" || t.ID < before)
	}, nil
}

// Listing is what ListTasks found.
type Listing struct {
	Tasks   []*store.Task
	Skipped int // records that did not decode, or that ZooKeeper's ACLs keep from this identity
	Scanned int // records read
	// Truncated: the budget ran out before the walk was done, and the newest
	// matching tasks may lie beyond what was read.
	Truncated bool
	// Exact counts the first of Tasks known to be the newest matching
	// tasks: newer than every record the budget left unread (all of them
	// when not Truncated). Tasks[:n], n <= Exact, is then the newest n,
	// and only whether more match is unknown.
	Exact int
}

// listing is one walk of ListTasks.
type listing struct {
	st     *store.Store
	keep   func(*store.Task) bool
	slim   func(*store.Task) // nil: keep records whole
	limit  int
	budget int // records left to read
	// bytes is what the source being read may still hold (MaxBytes a
	// source); cut, that it ran out, and the source was left there
	// (unread); bytesCut, that some source was.
	bytes         int
	cut, bytesCut bool
	maxBytes      int
	res           Listing
	// unread is the newest task id a source cut short by the budget left
	// unread (each source is read newest first); unreadAll: a source was
	// not read at all.
	unread    string
	unreadAll bool
	// before is ListOptions.Filter.Before, upper case ("": none).
	before string
}

// ParseStates parses a comma-separated list of task states
// ("failed,dead"), for ListOptions.States; a state named twice counts once.
// An unknown or empty one is ErrInvalid.
func ParseStates(s string) ([]store.State, error) {
	var sts []store.State
	for part := range strings.SplitSeq(s, ",") {
		st, err := store.ParseState(part)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if !slices.Contains(sts, st) {
			sts = append(sts, st)
		}
	}
	return sts, nil
}

// getBatch is how many records a listing reads between checks of ctx.
const getBatch = 256

// ListTasks returns the newest tasks in opt.State or opt.States, newest first: queued,
// placed and finished ones, each source read newest first. It stops when ctx
// ends. Records that do not decode are skipped and counted, never fatal. An
// unknown state is ErrInvalid.
func (c *Client) ListTasks(ctx context.Context, opt ListOptions) (Listing, error) {
	// Its reads take no context: on a silent link they wait for the client
	// to give the connection up (two thirds of the session timeout), and
	// so did a server's request bounded by its context.
	return withCtx(ctx, func() (Listing, error) { return c.listTasks(ctx, opt) })
}

func (c *Client) listTasks(ctx context.Context, opt ListOptions) (Listing, error) {
	states := map[store.State]bool{} // empty: every state
	for _, st := range append([]store.State{opt.State}, opt.States...) {
		if st == "" {
			continue
		}
		if _, err := store.ParseState(string(st)); err != nil {
			// An unknown state matches nothing: say so, not "no tasks".
			return Listing{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		states[st] = true
	}
	// wants says whether a state where is true of is listed.
	wants := func(where func(store.State) bool) bool {
		if len(states) == 0 {
			return true
		}
		for st := range states {
			if where(st) {
				return true
			}
		}
		return false
	}
	match, err := opt.Filter.Match()
	if err != nil {
		return Listing{}, err
	}
	l := &listing{st: c.st, limit: opt.Limit, budget: opt.Budget, maxBytes: opt.MaxBytes, slim: opt.Slim, before: strings.ToUpper(opt.Filter.Before),
		keep: func(t *store.Task) bool {
			return (len(states) == 0 || states[t.State]) && (match == nil || match(t))
		}}
	if l.limit <= 0 {
		l.limit = math.MaxInt
	}
	if l.budget <= 0 {
		l.budget = math.MaxInt
	}
	if l.maxBytes <= 0 {
		l.maxBytes = math.MaxInt
	}
	lay := c.st.Layout()
	var out []*store.Task
	// Each source yields its newest matching tasks, so the newest limit of
	// their union are among them.
	// A source the budget leaves unread may hold tasks newer than any read.
	skip := func(match bool) bool {
		if match && l.res.Truncated {
			l.unreadAll = true
		}
		// Each source may hold MaxBytes: one cut short by it leaves the
		// others to be read (their tasks may be the newer), and the page
		// is cut to MaxBytes once merged (fit).
		l.bytes, l.cut = l.maxBytes, false
		return !match || l.res.Truncated
	}
	if !skip(wants(func(st store.State) bool { return st == store.StateQueued })) {
		ts, err := l.buckets(ctx, lay.Queue())
		if err != nil {
			return l.res, err
		}
		out = l.newest(append(out, ts...))
	}
	if !skip(wants(func(st store.State) bool { return st == store.StateAssigned || st == store.StateRunning })) {
		refs, hidden, err := c.st.ListAssignments()
		if err != nil {
			return l.res, fmt.Errorf("list assignments: %w", err)
		}
		// Worker directories this reader may not list: their assignments
		// counted by the directories' stat (one at least when not known).
		for _, n := range c.st.HiddenCounts(hidden) {
			if n < 0 {
				n = 1
			}
			l.res.Skipped += n
		}
		// An assignment's name carries its task's id: read them newest
		// first, as the buckets are, and only until the page is full. A
		// large fleet has thousands in flight, and reading them all took
		// the budget of a listing (a dashboard's page of 20) before any
		// finished task was read.
		sort.Slice(refs, func(i, j int) bool {
			if refs[i].Task != refs[j].Task {
				return refs[i].Task > refs[j].Task
			}
			return refs[i].Attempt > refs[j].Attempt
		})
		paths := make([]string, 0, len(refs))
		for _, r := range refs {
			if l.newer(r.Task) {
				continue
			}
			paths = append(paths, r.Path)
		}
		ts, err := l.read(ctx, paths, l.limit)
		if err != nil {
			return l.res, err
		}
		out = l.newest(append(out, ts...))
	}
	if !skip(wants(store.State.Terminal)) {
		ts, err := l.buckets(ctx, lay.Results())
		if err != nil {
			return l.res, err
		}
		out = append(out, ts...)
	}
	dedup := l.fit(l.newest(out))
	l.res.Tasks = dedup
	l.res.Exact = len(dedup)
	l.res.Truncated = l.res.Truncated || l.bytesCut
	if l.res.Truncated {
		l.res.Exact = 0
		for !l.unreadAll && l.res.Exact < len(dedup) && dedup[l.res.Exact].ID > l.unread {
			l.res.Exact++
		}
	}
	return l.res, nil
}

// newer says whether name (a task id, or an assignment's id.attempt) is
// not before the listing's cursor.
func (l *listing) newer(name string) bool {
	return l.before != "" && name >= l.before
}

// newest returns the newest l.limit tasks of out, each once, newest first.
// It runs after each source is read, so that a listing holds at most two
// sources' worth of tasks, not one page from each of three.
func (l *listing) newest(out []*store.Task) []*store.Task {
	// A task read as queued and again as assigned while it moved is shown once.
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	dedup := out[:0]
	for i, t := range out {
		if i == 0 || t.ID != out[i-1].ID {
			dedup = append(dedup, t)
		}
	}
	if len(dedup) > l.limit {
		clear(dedup[l.limit:]) // let the tasks cut go
		dedup = dedup[:l.limit]
	}
	return dedup
}

// fit cuts the page, newest first, to the tasks that hold MaxBytes in
// all (one at least): the oldest go.
func (l *listing) fit(page []*store.Task) []*store.Task {
	if l.maxBytes == math.MaxInt {
		return page
	}
	held := 0
	for i, t := range page {
		if held += heldBytes(t); held > l.maxBytes && i > 0 {
			clear(page[i:])
			l.bytesCut = true
			return page[:i]
		}
	}
	return page
}

// listBatch is the most buckets a listing lists at once, pipelined.
const listBatch = 64

// buckets reads the matching tasks of a bucketed directory (<dir>/<b1>/<b2>/<id>),
// newest first, stopping once limit were found or the budget runs out.
//
// Buckets are listed a few at a time, pipelined, and the records of those
// listed are read together: results that trickle in over days hold one or
// two tasks a bucket, and a bucket at a time cost two round trips for
// every record read (a filter on a rare state read for seconds). The
// number listed at once doubles while the buckets hold few names (up to
// listBatch), and halves when they hold many, so a page of busy buckets
// lists one or two of them.
func (l *listing) buckets(ctx context.Context, dir string) ([]*store.Task, error) {
	var out []*store.Task
	b1s, err := l.st.Children(dir)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(b1s)))
	if l.before != "" {
		// Newer than the cursor: not read (ids, and buckets, sort by time).
		b1s = slices.DeleteFunc(b1s, func(b1 string) bool { return b1 > l.before[:6] })
	}
	var next []string // buckets to list, newest first
	chunk := 1
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("list tasks: stopped after %d records: %w", l.res.Scanned, err)
		}
		for len(next) < chunk && len(b1s) > 0 {
			k := min(len(b1s), chunk)
			dirs := make([]string, k)
			for i, b1 := range b1s[:k] {
				dirs[i] = dir + "/" + b1
			}
			b1s = b1s[k:]
			for _, kids := range l.st.ChildrenMany(dirs) {
				if errors.Is(kids.Err, store.ErrNoNode) {
					continue // an empty bucket was removed
				}
				if errors.Is(kids.Err, store.ErrNoAuth) {
					l.res.Skipped++ // made by a process without the read-only identity
					continue
				}
				if kids.Err != nil {
					return nil, fmt.Errorf("list tasks: %w", kids.Err)
				}
				sort.Sort(sort.Reverse(sort.StringSlice(kids.Names)))
				for _, b2 := range kids.Names {
					if l.before != "" && path.Base(kids.Path)+b2 > l.before[:8] {
						continue
					}
					next = append(next, kids.Path+"/"+b2)
				}
			}
		}
		if len(next) == 0 {
			return out, nil
		}
		n := min(len(next), chunk)
		var paths []string
		for _, kids := range l.st.ChildrenMany(next[:n]) {
			if errors.Is(kids.Err, store.ErrNoNode) {
				continue
			}
			if errors.Is(kids.Err, store.ErrNoAuth) {
				l.res.Skipped++ // a bucket a process without the read-only identity made
				continue
			}
			if kids.Err != nil {
				return nil, fmt.Errorf("list tasks: %w", kids.Err)
			}
			sort.Sort(sort.Reverse(sort.StringSlice(kids.Names)))
			for _, id := range kids.Names {
				if !store.IsManifestName(id) && !l.newer(id) { // a manifest copies items listed here
					paths = append(paths, kids.Path+"/"+id)
				}
			}
		}
		next = next[n:]
		ts, err := l.read(ctx, paths, l.limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
		if len(out) >= l.limit || l.res.Truncated || l.cut {
			return out, nil
		}
		if len(paths) < getBatch {
			chunk = min(2*chunk, listBatch)
		} else {
			chunk = max(chunk/2, 1)
		}
	}
}

// heldBytes is, roughly, what a listed task holds: its strings' bytes and
// some for the struct and each entry around them.
func heldBytes(t *store.Task) int {
	n := 512 + len(t.Name) + len(t.Handler) + len(t.Payload) + len(t.Error) + len(t.Stdout) + len(t.Stderr)
	for _, a := range t.Cmd {
		n += 16 + len(a)
	}
	for k, v := range t.Env {
		n += 64 + len(k) + len(v)
	}
	for k, v := range t.On {
		n += 64 + len(k) + len(v)
	}
	for _, a := range t.History {
		n += 160 + len(a.Error) + len(a.Stdout) + len(a.Stderr)
	}
	return n
}

// recordOf says whether t is the record of the task (and attempt, for an
// assignment, named <task>.<attempt>) its path names.
func (l *listing) recordOf(p string, t *store.Task) bool {
	name := path.Base(p)
	if strings.HasPrefix(p, l.st.Layout().Tasks()+"/") {
		id, attempt, err := store.ParseAssignmentName(name)
		return err == nil && id == t.ID && attempt == t.Attempt
	}
	return name == t.ID
}

// read reads the task records at paths in order, in batches, until want of
// them matched, while the budget lasts and ctx has not ended, and returns those
// that match. A record that does not decode is skipped; one that is gone (it
// moved on since it was listed) is ignored.
//
// A batch is as large as the matches still wanted, and doubles (up to
// getBatch) while too few match: a page reads what it shows when every
// record matches, and a rare state still reads in large batches.
func (l *listing) read(ctx context.Context, paths []string, want int) ([]*store.Task, error) {
	var out []*store.Task
	batch := 0
	for len(paths) > 0 && len(out) < want && !l.cut {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("list tasks: stopped after %d records: %w", l.res.Scanned, err)
		}
		if l.budget <= 0 {
			// paths are newest first, and what the caller has left to
			// read is older.
			l.res.Truncated = true
			if id, _, _ := strings.Cut(path.Base(paths[0]), "."); id > l.unread {
				l.unread = id // an assignment is named <task>.<attempt>
			}
			return out, nil
		}
		batch = min(max(2*batch, want-len(out)), getBatch)
		n := min(len(paths), batch, l.budget)
		reads := l.st.GetMany(paths[:n])
		full := false // what it keeps is all it may hold (MaxBytes)
		for i, rd := range reads {
			if l.bytes <= 0 {
				// The rest of the batch is left unread, as the read
				// budget leaves it.
				n, full = i, true
				break
			}
			switch {
			case errors.Is(rd.Err, store.ErrNoNode):
			case errors.Is(rd.Err, store.ErrNoAuth):
				// Made by a process not given the read-only identity
				// (DROVER_ZK_AUTH_READONLY): one task a viewer may not
				// read, not a listing it may not make.
				l.res.Skipped++
			case rd.Err != nil:
				return nil, fmt.Errorf("list tasks: %w", rd.Err)
			default:
				t, err := store.DecodeTask(rd.Data)
				if err == nil {
					// Where a record stands says its state, as status reads it
					// (store.LookupTaskIn): a queue item is queued whatever it
					// says, and a result not finished is malformed.
					switch lay := l.st.Layout(); {
					case strings.HasPrefix(rd.Path, lay.Queue()+"/"):
						t.State = store.StateQueued
					case strings.HasPrefix(rd.Path, lay.Results()+"/") && !t.State.Terminal():
						err = store.ErrMalformed
					}
					if !l.recordOf(rd.Path, t) {
						// Another task's record at its path: status calls it
						// malformed (store.DecodeTaskOf), and lists it not
						// as the task it names (which status does not find).
						err = store.ErrMalformed
					}
				}
				switch {
				case err != nil:
					l.res.Skipped++
				case l.keep(t):
					if l.slim != nil {
						l.slim(t)
					}
					out = append(out, t)
					if l.maxBytes != math.MaxInt {
						l.bytes -= heldBytes(t)
					}
				}
			}
		}
		paths, l.budget, l.res.Scanned = paths[n:], l.budget-n, l.res.Scanned+n
		if full && len(paths) > 0 {
			// The source stops here: what is left of it is older than what
			// it gave, and may be newer than other sources' tasks.
			l.cut, l.bytesCut = true, true
			if id, _, _ := strings.Cut(path.Base(paths[0]), "."); id > l.unread {
				l.unread = id
			}
		}
	}
	return out, nil
}
