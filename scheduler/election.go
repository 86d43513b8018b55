package scheduler

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/store"
)

// ErrNotLeader is returned by leader work once its term has ended.
var ErrNotLeader = errors.New("not the leader")

// Election is the ZooKeeper leader-election recipe: each candidate holds an
// ephemeral sequential znode under <root>/election and watches only the znode just
// before its own, so a departure wakes one candidate, never the herd.
type Election struct {
	store *store.Store
	info  store.Candidate
	log   zerolog.Logger
}

// NewElection prepares a candidate named id.
func NewElection(st *store.Store, id string, log zerolog.Logger) *Election {
	host, _ := os.Hostname()
	return &Election{store: st, info: store.Candidate{ID: id, Host: host, PID: os.Getpid(), Token: rand.Text()}, log: log}
}

// Term is one period of leadership. Its fence (the election znode) must be the
// first check of every write the leader makes; Done closes as soon as the znode or
// the session that owns it is gone.
type Term struct {
	// Fence is the full path of the leader's election znode.
	Fence   string
	Session *store.Session

	st     *store.Store
	done   chan struct{}
	once   sync.Once
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Done closes when leadership is lost (or resigned).
func (t *Term) Done() <-chan struct{} { return t.done }

func (t *Term) end() { t.once.Do(func() { close(t.done) }) }

// Resign gives up leadership by deleting the election znode, so the next
// candidate takes over at once instead of after the session timeout.
func (t *Term) Resign() error {
	t.cancel()
	t.end()
	t.wg.Wait()
	// The delete takes no context: over a silent link it waits for the
	// client to give the connection up (two thirds of a session timeout),
	// and so did Run whose context ended. Past resignWait the znode is
	// the store's to delete, as when ZooKeeper is out of reach.
	ctx, cancel := context.WithTimeout(context.Background(), resignWait)
	defer cancel()
	_, err := store.Await(ctx, func() (struct{}, error) { return struct{}{}, t.st.Delete(t.Fence, -1) })
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v: %w", resignWait, store.ErrConnection)
	}
	if err != nil && !errors.Is(err, store.ErrNoNode) {
		// The store deletes it once connected: a session that lives on
		// would keep it first in line, with nobody leading.
		t.st.Abandon(t.Fence)
		return fmt.Errorf("resign: %w", err)
	}
	return nil
}

// resignWait is how long Resign waits for its election znode's delete
// before it hands the znode to the store.
const resignWait = 500 * time.Millisecond

// leave hands the store a znode of this candidate's still in line, which
// it could not delete (ZooKeeper out of reach): the store deletes it once
// connected, whether or not this candidate campaigns again. Left to its
// session, it would stand first in line for as long as the store lives.
func (e *Election) leave(node string) {
	e.store.Abandon(node)
}

// Campaign blocks until this candidate leads (returning its Term) or ctx ends. It
// survives session loss by joining the line again with a new znode.
func (e *Election) Campaign(ctx context.Context) (*Term, error) {
	data, err := store.Encode(&e.info)
	if err != nil {
		return nil, err
	}
	dir := e.store.Layout().Election()
	for {
		// A znode of an earlier term of this session's (or one this
		// campaign left behind) must go first: the new one would stand
		// behind it.
		if err := e.store.WaitAbandoned(ctx); err != nil {
			return nil, err
		}
		node, sess, err := e.store.CreateSequentialEphemeral(ctx, dir, "n_", data)
		if err != nil && node != "" {
			// Made, or found by its guid, before the failure: left in line
			// it would stand ahead of the next campaign's znode.
			e.leave(dir + "/" + node)
		}
		if errors.Is(err, store.ErrNoNode) && ctx.Err() == nil {
			if err := e.makeDirAgain(dir); err != nil {
				return nil, fmt.Errorf("join election: %w", err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("join election: %w", err)
		}
		e.log.Debug().Str("node", node).Msg("joined election")
		term, err := e.keepPlace(ctx, dir, node, sess)
		if err == nil {
			return term, nil
		}
		if ctx.Err() != nil {
			// Leave the line so we are not elected after giving up.
			if err := e.store.Delete(dir+"/"+node, -1); err != nil && !errors.Is(err, store.ErrNoNode) {
				e.leave(dir + "/" + node)
			}
			return nil, ctx.Err()
		}
		if errors.Is(err, store.ErrClosed) {
			return nil, fmt.Errorf("campaign: %w", err)
		}
		e.log.Warn().Err(err).Str("node", node).Msg("lost place in election; joining again")
	}
}

// makeDirAgain makes the election directory again after a create or a
// listing found it gone (deleted by hand: zkCli's deleteall takes the
// candidates' znodes, then the directory). Without it no campaign could
// join, and no scheduler would lead until one restarted (only store.Open
// makes it). Only the directory is made, with the store's ACL as Open
// gives it, not the root: with the root gone, so is the cluster, and the
// error says so. A term of the directory that was is over: its fence, its
// election znode, went before the directory could, so every fenced write
// of its leader fails, and the new line's znodes have other names (a new
// guid each).
func (e *Election) makeDirAgain(dir string) error {
	err := e.store.Create(dir, nil)
	switch {
	case err == nil:
		e.log.Warn().Str("path", dir).Msg("election directory was missing: made again")
	case !errors.Is(err, store.ErrNodeExists): // made again by another candidate meanwhile
		return fmt.Errorf("make %s again: %w", dir, err)
	}
	return nil
}

// ownCandidate reports whether the election znode at p is this candidate's
// (its data is this candidate's, token and all). Another candidate
// may share the session: a second Scheduler on the same Store, whose
// znode is not ours to delete. A failed read is an error, not a "no": taken
// for another's, our own znode would be stood behind for as long as the
// session keeps it.
func (e *Election) ownCandidate(p string) (bool, error) {
	mine, err := store.Encode(&e.info)
	if err != nil {
		return false, err
	}
	data, _, err := e.store.Get(p)
	if err != nil {
		return false, err
	}
	return bytes.Equal(data, mine), nil
}

// testHookStandingBy, when set by a test, is called with the candidate's id
// each time it watches the znode ahead of it.
var testHookStandingBy func(id string)

// electionRetry paces the looks at the line after one failed for a reason
// other than a lost connection (an ACL set by hand on the directory, say).
var electionRetry = store.Backoff{Base: 200 * time.Millisecond, Max: 10 * time.Second}

// keepPlace waits for node's turn as waitTurn does, and after a failure
// that says nothing of node (a listing refused, say) looks again with the
// same node, after a pause. node goes only with its session or a delete, so
// it is most likely still in line: a second znode would stand behind it,
// behind this candidate itself, for as long as the session lasts, and
// deleting it first could fail as the look did. It returns errRejoin (or
// ErrSessionExpired) once node is gone, and ctx's or the store's end.
func (e *Election) keepPlace(ctx context.Context, dir, node string, sess *store.Session) (*Term, error) {
	for try := 1; ; try++ {
		term, err := e.waitTurn(ctx, dir, node, sess)
		if err == nil || errors.Is(err, errRejoin) || errors.Is(err, store.ErrSessionExpired) ||
			errors.Is(err, store.ErrClosed) || ctx.Err() != nil {
			return term, err
		}
		delay := electionRetry.Delay(try)
		e.log.Warn().Err(err).Str("node", node).Dur("retry_in_ms", delay).Msg("cannot read the election line; keeping place")
		select {
		case <-time.After(delay):
		case <-sess.Done():
			return nil, errRejoin
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// errRejoin means our znode is gone (session churn): create a new one.
var errRejoin = errors.New("election znode gone")

func (e *Election) waitTurn(ctx context.Context, dir, node string, sess *store.Session) (*Term, error) {
	for {
		kids, err := e.store.Children(dir)
		if err != nil {
			if errors.Is(err, store.ErrNoNode) {
				// The directory is gone, and node with it (a znode with
				// children cannot be deleted): join a line made again.
				return nil, errRejoin
			}
			if errors.Is(err, store.ErrConnection) {
				if _, err := e.store.CurrentSession(ctx); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		line := store.SortCandidates(kids)
		me := -1
		for i, c := range line {
			if c.Node == node {
				me = i
				break
			}
		}
		if me < 0 {
			return nil, errRejoin
		}
		if me == 0 {
			return e.startTerm(dir+"/"+node, sess)
		}
		pred := dir + "/" + line[me-1].Node
		ok, st, ev, err := e.store.ExistsW(pred)
		if err != nil {
			if errors.Is(err, store.ErrConnection) {
				continue
			}
			return nil, err
		}
		if !ok {
			continue
		}
		own := false
		if st.EphemeralOwner == sess.ID() {
			own, err = e.ownCandidate(pred)
			switch {
			case errors.Is(err, store.ErrNoNode), errors.Is(err, store.ErrConnection):
				continue // gone meanwhile, or unknown: look again
			case err != nil:
				return nil, fmt.Errorf("read election znode %s of our session: %w", pred, err)
			}
		}
		if own {
			// Our own, not node: a create whose reply was lost and which
			// the look by guid did not find (the line unreadable then), or
			// any other way one was left. This session keeps it alive, so
			// the candidate would wait for itself for as long as the
			// session lasts, and every candidate behind it too.
			err := e.store.Delete(pred, st.Version)
			switch {
			case err == nil:
				e.log.Warn().Str("node", line[me-1].Node).Str("own", node).
					Msg("deleted an election znode of our own session standing ahead of us")
				continue
			case errors.Is(err, store.ErrNoNode), errors.Is(err, store.ErrBadVersion), errors.Is(err, store.ErrConnection):
				continue // gone or changed meanwhile, or unknown: look again
			default:
				return nil, fmt.Errorf("delete own election znode %s: %w", pred, err)
			}
		}
		var retry <-chan time.Time // nil: no retry
		if st.EphemeralOwner == 0 {
			// No scheduler holds it (a candidate's znode is ephemeral): left
			// in line, it would keep every candidate behind it from leading.
			// Moved aside, it is gone and its watch fires at once. One that
			// cannot be moved (an ACL set by hand on deadletter/, say) is tried
			// again after a pause, while ctx is heeded: tried again at once,
			// it made thousands of requests a second, for ever.
			err := e.moveAside(pred)
			if errors.Is(err, store.ErrConnection) {
				continue
			}
			if err != nil {
				e.log.Warn().Err(err).Str("node", line[me-1].Node).Dur("retry_in_ms", moveAsideRetry).
					Msg("cannot move aside an election znode no session holds")
			}
			retry = time.After(moveAsideRetry)
		} else {
			e.log.Info().Str("watching", line[me-1].Node).Int("place", me).Msg("standing by")
			if testHookStandingBy != nil {
				testHookStandingBy(e.info.ID)
			}
		}
		select {
		case <-ev:
		case <-retry:
		case <-sess.Done():
			return nil, errRejoin
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// watchRetry is how long a term's watcher waits before it sets its watch
// again after a failure while connected.
const watchRetry = 100 * time.Millisecond

// moveAsideRetry is how long a candidate waits before it tries again to
// move aside an election znode no session holds.
const moveAsideRetry = 5 * time.Second

// moveAside moves a znode in the election directory that no session holds
// to deadletter.
func (e *Election) moveAside(p string) error {
	data, st, err := e.store.Get(p)
	if err == nil && st.EphemeralOwner == 0 {
		err = e.store.Quarantine(p, data, st.Version, fmt.Errorf("%w: election znode is not ephemeral: no scheduler holds it", store.ErrMalformed))
	}
	return err
}

// startTerm begins a term and a watcher that ends it when the fence znode or the
// session goes.
func (e *Election) startTerm(fence string, sess *store.Session) (*Term, error) {
	ctx, cancel := context.WithCancel(context.Background())
	t := &Term{Fence: fence, Session: sess, st: e.store, done: make(chan struct{}), cancel: cancel}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		defer t.end()
		var ev <-chan store.Event // the fence's watch; nil: to be set
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
		for {
			// While disconnected a request waits for the reconnect (or a
			// round of every server): the watch is set once connected.
			connected, changed := e.store.Connected()
			if ev == nil && connected {
				ok, _, w, err := e.store.ExistsW(fence)
				switch {
				case err == nil && !ok:
					e.log.Warn().Str("node", fence).Msg("election znode deleted: leadership lost")
					return
				case err != nil && !errors.Is(err, store.ErrConnection):
					e.log.Warn().Err(err).Msg("cannot watch election znode: leadership lost")
					return
				case err == nil:
					ev = w
				}
			}
			// Disconnected, the fence in every write protects us. But
			// go-zookeeper learns of an expiry only once it connects
			// again: cut off past the session's deadline, a successor
			// may lead, and this scheduler must not go on saying it does
			// for as long as the partition lasts.
			// (A change of connection since it was read closes changed:
			// the loop then goes round again.)
			wait := time.Duration(-1)
			switch {
			case !connected:
				wait = max(time.Until(e.store.SessionDeadline()), 0)
			case ev == nil: // the watch failed just before the reconnect
				wait = watchRetry
			}
			var wake <-chan time.Time
			if wait >= 0 {
				timer.Reset(wait) // since Go 1.23 no stale tick survives a Stop
				wake = timer.C
			}
			select {
			case <-ev:
				ev = nil
			case <-changed:
			case <-wake:
				if up, _ := e.store.Connected(); !connected && !up { // (back just now: go on)
					e.log.Warn().Time("session_deadline", e.store.SessionDeadline()).
						Msg("cut off from zookeeper past the session's deadline: leadership lost")
					return
				}
			case <-sess.Done():
				e.log.Warn().Msg("zookeeper session ended: leadership lost")
				return
			case <-ctx.Done():
				return
			}
			timer.Stop()
		}
	}()
	return t, nil
}
