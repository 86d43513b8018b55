package worker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover-sched/drover/store"
)

// publishEvery is how often a followed attempt's new output is published.
const publishEvery = 250 * time.Millisecond

// liveRuns are the attempts a Worker runs (commands, Go handlers), by task id, and the
// tasks followed (drover logs -f): the follow directory's names at its
// last listing. A task nobody follows costs a map entry while it runs.
type liveRuns struct {
	mu       sync.Mutex
	runs     map[string]*liveRun
	followed map[string]bool
	// wake tells the follow loop that a followed attempt started.
	wake chan struct{}
	// writes counts the publications written.
	writes atomic.Int64
}

// liveRun is one running attempt's output, and what of it was published.
type liveRun struct {
	task    string
	attempt int
	stdout  *tail
	stderr  *tail
	// mu orders its publications (the loop's and the attempt's last).
	mu        sync.Mutex
	published bool
	sent      [2]int64 // the totals last published
}

func newLiveRuns() *liveRuns {
	return &liveRuns{runs: map[string]*liveRun{}, followed: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// add records an attempt starting; the loop is woken when it is
// followed.
func (l *liveRuns) add(task *store.Task, stdout, stderr *tail) *liveRun {
	r := &liveRun{task: task.ID, attempt: task.Attempt, stdout: stdout, stderr: stderr}
	if l == nil { // a Worker made without New (tests): nothing is followed
		return r
	}
	l.mu.Lock()
	l.runs[r.task] = r // an earlier attempt of it still dying is no longer followed
	followed := l.followed[r.task]
	l.mu.Unlock()
	if followed {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return r
}

// written is how many publications were written.
func (l *liveRuns) written() int64 {
	if l == nil {
		return 0
	}
	return l.writes.Load()
}

// remove forgets r once its attempt has ended, and reports whether it is
// followed.
func (l *liveRuns) remove(r *liveRun) (followed bool) {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs[r.task] == r {
		delete(l.runs, r.task)
	}
	return l.followed[r.task]
}

// setFollowed takes a listing of the follow directory. Every followed run
// publishes again at the next round: a follower that came may have made
// the znode again after another left, empty.
func (l *liveRuns) setFollowed(ids []string) {
	l.mu.Lock()
	clear(l.followed)
	var again []*liveRun
	for _, id := range ids {
		l.followed[id] = true
		if r := l.runs[id]; r != nil {
			again = append(again, r)
		}
	}
	l.mu.Unlock()
	for _, r := range again { // r.mu is never taken under l.mu
		r.mu.Lock()
		r.published = false
		r.mu.Unlock()
	}
}

// due returns the followed runs.
func (l *liveRuns) due() []*liveRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*liveRun
	for id := range l.followed {
		if r := l.runs[id]; r != nil {
			out = append(out, r)
		}
	}
	return out
}

// follow keeps the Worker's view of the follow directory, one watch at a
// time, and publishes the output of the followed attempts it runs every
// publishEvery while there are some. It returns when ctx ends or the
// store is closed.
func (w *Worker) follow(ctx context.Context) {
	var ev chan store.Event
	var tick *time.Ticker
	var tickC <-chan time.Time
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	pause := restartMin
	for {
		if ev == nil {
			ch := make(chan store.Event, 1)
			// Requests take no context: over a silent link Run must not
			// wait for them (store.Await).
			type listed struct {
				ids []string
				err error
			}
			l, aerr := store.Await(ctx, func() (listed, error) {
				ids, err := w.st.Followed(func(e store.Event) { ch <- e })
				if err == nil {
					w.live.setFollowed(ids)
					w.publishLive(w.live.due())
				}
				return listed{ids, err}, nil
			})
			if aerr != nil {
				return
			}
			if err := l.err; err != nil {
				if w.st.Closed() || errors.Is(err, store.ErrClosed) {
					return
				}
				w.log.Debug().Err(err).Dur("retry_in_ms", pause).Msg("cannot list the followed tasks")
				if !sleepCtx(ctx, pause) {
					return
				}
				pause = min(2*pause, restartMax)
				continue
			}
			pause, ev = restartMin, ch
		}
		switch due := len(w.live.due()) > 0; {
		case due && tick == nil:
			tick = time.NewTicker(publishEvery)
			tickC = tick.C
		case !due && tick != nil:
			tick.Stop()
			tick, tickC = nil, nil
		}
		select {
		case <-ctx.Done():
			return
		case <-ev:
			ev = nil // listed again above, which sets the next watch
		case <-tickC:
		case <-w.live.wake:
		}
		if ev != nil {
			if _, err := store.Await(ctx, func() (struct{}, error) { w.publishLive(w.live.due()); return struct{}{}, nil }); err != nil {
				return
			}
		}
	}
}

// publishLive publishes each run's output that changed since it was last
// published.
func (w *Worker) publishLive(runs []*liveRun) {
	for _, r := range runs {
		w.publishRun(r)
	}
}

// publishRun publishes r's output into its follow znode unless it did
// already as it stands. A znode found gone (its follower left) is left to
// the follow directory's watch, which tells of it at once: dropping the
// name here could drop that of a follower who came since.
func (w *Worker) publishRun(r *liveRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// What came since the last publication; for a follower that came
	// (published false), the end of what was written.
	var from [2]int64
	if r.published {
		from = r.sent
	}
	out, outN := r.stdout.Since(from[0], store.LiveTail)
	errb, errN := r.stderr.Since(from[1], store.LiveTail)
	if r.published && r.sent == [2]int64{outN, errN} {
		return
	}
	err := w.st.PublishLiveOutput(&store.LiveOutput{Task: r.task, Attempt: r.attempt, Worker: w.cfg.ID,
		Stdout: out, Stderr: errb, StdoutBytes: outN, StderrBytes: errN, At: w.cfg.Now().UTC()})
	if err != nil {
		if !errors.Is(err, store.ErrNoNode) {
			w.log.Debug().Err(err).Str("task_id", r.task).Msg("live output not published")
		}
		return
	}
	r.published, r.sent = true, [2]int64{outN, errN}
	w.live.writes.Add(1)
}
