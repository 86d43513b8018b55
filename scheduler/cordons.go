package scheduler

import (
	"github.com/drover-sched/drover/store"
)

// syncCordons relists the cordons (see store.Cordon) and applies them to
// the view: a cordoned worker takes no new work, as a draining one, and
// keeps what is placed on it. The leader reads a cordon's record once, as
// it first sees it, to move a malformed one aside; only its name counts.
func (l *leader) syncCordons() error {
	ids, ok, err := l.childrenW(watchCordons, l.lay.Cordons(), "")
	if err != nil {
		return err
	}
	if !ok {
		// Deleted by hand (or a cluster older than cordons, made before
		// this leader's store opened): made again, with a watch.
		if err := l.st.EnsurePathFenced(l.lay.Cordons(), l.term.Fence); err != nil {
			return err
		}
		if ids, _, err = l.childrenW(watchCordons, l.lay.Cordons(), ""); err != nil {
			return err
		}
	}
	now, seen := make(map[string]bool, len(ids)), make(map[string]bool, len(ids))
	var fresh []string
	for _, id := range ids {
		seen[id] = true
		if !l.cordonsSeen[id] {
			fresh = append(fresh, id)
		}
		// One named for no worker id cordons nothing: CheckCordons moves
		// it aside.
		if store.ValidateNodeName(id) == nil {
			now[id] = true
		}
	}
	if err := l.st.CheckCordons(fresh); err != nil {
		return err
	}
	for _, id := range fresh {
		if now[id] {
			l.log.Info().Str("worker_id", id).Msg("worker cordoned: no new work is placed on it")
		}
	}
	for id := range l.cordoned {
		if !now[id] {
			l.log.Info().Str("worker_id", id).Msg("worker uncordoned")
		}
	}
	l.cordoned, l.cordonsSeen = now, seen
	for id, w := range l.workers {
		w.applyCordon(now[id])
	}
	l.s.counters.cordoned.Store(int64(len(now)))
	return nil
}

// applyCordon sets whether the worker takes new work: not while its
// registration says it drains, nor while it is cordoned.
func (w *workerView) applyCordon(cordoned bool) { w.Draining = w.draining || cordoned }
