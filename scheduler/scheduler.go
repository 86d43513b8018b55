// Package scheduler elects one leader among any number of scheduler processes and,
// while leading, places queued tasks on live workers, re-queues the work of
// workers that vanish, and rebuilds its whole view from ZooKeeper on takeover.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/store"
)

// Config configures a scheduler. Zero values mean the documented defaults.
type Config struct {
	// ID names this scheduler in the election and in logs (required).
	ID string
	// Version is this scheduler's release, carried in its election record
	// for `drover leader` (optional).
	Version string
	// HTTP is the URL this scheduler's dashboard, API and metrics are
	// served at, carried in its election record for `drover leader`
	// (optional).
	HTTP  string
	Store *store.Store
	Log   zerolog.Logger
	// Now is the clock; default time.Now. The leader calls it from more
	// than one goroutine, and measures spans with it (a tombstone's age
	// between readings of ZooKeeper's clock): a replacement should carry a
	// monotonic reading, as time.Now's do, or a step of the wall clock
	// shifts those spans.
	Now func() time.Time
	// BucketGrace is how long after its time window, and after it was last
	// made, an empty bucket is kept before the leader deletes it; default 1
	// minute.
	BucketGrace time.Duration
	// TimeoutGrace is how long past its timeout an attempt may stay on a live
	// worker before the leader withdraws it (the worker normally kills it on
	// time itself); default 30s.
	TimeoutGrace time.Duration
	// ResultRetention is how long results are kept, counted from when each
	// came (up to store.LateResult more: a bucket ages as a whole, from its
	// window or its late mark); default 7 days.
	ResultRetention time.Duration
	// MaxResults caps the results kept (oldest go first); default 1,000,000,
	// negative: no cap.
	MaxResults int
	// MaxDeadletters caps the deadletter records kept (oldest go first, as
	// do those older than ResultRetention); default 10,000, at most
	// store.MaxDeadletters, where writers stop copying malformed data.
	MaxDeadletters int
	// Backoff spaces the retries of attempts the leader withdraws past their
	// timeout, as a worker's spaces those that fail on it (a lost worker's
	// attempts are queued again at once: they did not fail).
	Backoff store.Backoff

	// zookeeperAhead, set by tests, moves ZooKeeper's clock as retention
	// reads it (see pruneResults) this far ahead, as Now moves the leader's.
	zookeeperAhead time.Duration
	// historyMadeNow, set by tests that make old result buckets at once (a
	// day's history in a second), ages a result bucket from its window and
	// late mark alone, as if it had been made in its window: aged from its
	// creation too (lateOf), it would be kept a retention from now.
	historyMadeNow bool
}

// Scheduler campaigns for leadership and leads while elected.
type Scheduler struct {
	cfg      Config
	log      zerolog.Logger
	leading  atomic.Bool
	epoch    atomic.Int64
	election *Election
	counters counters
	// running is set while Run runs: a second Run at once is refused.
	running atomic.Bool
	// carry is what its terms hand on (see carried).
	carry *carried
}

// ErrRunning is Run's error when the Scheduler's Run is running already: two
// candidates of one scheduler on one session would end each other's terms.
var ErrRunning = errors.New("scheduler is running already")

// New validates cfg and returns a scheduler; Run starts it.
func New(cfg Config) (*Scheduler, error) {
	if err := store.ValidateName(cfg.ID); err != nil {
		return nil, fmt.Errorf("scheduler id: %w", err)
	}
	if cfg.Store == nil {
		return nil, errors.New("scheduler: no store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BucketGrace <= 0 {
		cfg.BucketGrace = time.Minute
	}
	if cfg.TimeoutGrace <= 0 {
		cfg.TimeoutGrace = 30 * time.Second
	}
	if cfg.ResultRetention <= 0 {
		cfg.ResultRetention = 7 * 24 * time.Hour
	}
	if cfg.MaxResults == 0 {
		cfg.MaxResults = 1_000_000
	}
	if cfg.MaxDeadletters <= 0 {
		cfg.MaxDeadletters = 10_000
	}
	cfg.MaxDeadletters = min(cfg.MaxDeadletters, store.MaxDeadletters)
	log := cfg.Log.With().Str("scheduler", cfg.ID).Logger()
	e := NewElection(cfg.Store, cfg.ID, log)
	e.info.Version, e.info.HTTP = cfg.Version, cfg.HTTP
	return &Scheduler{cfg: cfg, log: log, election: e}, nil
}

// Version is this scheduler's release (Config.Version).
func (s *Scheduler) Version() string { return s.cfg.Version }

// ID is this scheduler's id (Config.ID).
func (s *Scheduler) ID() string { return s.cfg.ID }

// IsLeader reports whether this scheduler currently leads.
func (s *Scheduler) IsLeader() bool { return s.leading.Load() }

// Epoch is the epoch of the current or last term this scheduler led (0: never).
func (s *Scheduler) Epoch() int64 { return s.epoch.Load() }

// Run campaigns, leads until the term ends, and campaigns again, until ctx
// ends (it returns nil) or the store is closed (an error wrapping
// store.ErrClosed: a closed store never opens again). On return it has
// resigned, so a standby takes over without waiting for the session timeout:
// its election znode is deleted, or, ZooKeeper being out of reach, handed
// to the store, which deletes it once connected (store.Abandon).
// A Scheduler runs once at a time: Run while Run runs returns ErrRunning; it
// may run again after Run returned.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("scheduler %s: %w", s.cfg.ID, ErrRunning)
	}
	defer s.running.Store(false)
	short := 0 // terms in a row that ended within termSettle
	for {
		term, err := s.election.Campaign(ctx)
		if err != nil {
			if ctx.Err() != nil {
				// A standby's end is said as a leader's is.
				s.log.Info().Msg("stood by: shutting down")
				return nil
			}
			if errors.Is(err, store.ErrClosed) {
				return err
			}
			s.log.Error().Err(err).Msg("campaign failed; retrying")
			select {
			case <-ctx.Done():
				s.log.Info().Msg("stood by: shutting down")
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		began := time.Now()
		err = s.lead(ctx, term)
		s.leading.Store(false)
		if rerr := term.Resign(); rerr != nil {
			s.log.Warn().Err(rerr).Msg("resign failed: the store deletes the election znode once connected")
		}
		if ctx.Err() != nil {
			s.log.Info().Int64("epoch", s.epoch.Load()).Msg("stepped down: shutting down")
			return nil
		}
		if s.cfg.Store.Closed() {
			s.log.Info().Int64("epoch", s.epoch.Load()).Msg("stepped down: store closed")
			return fmt.Errorf("scheduler %s: %w", s.cfg.ID, store.ErrClosed)
		}
		s.log.Warn().Err(err).Int64("epoch", s.epoch.Load()).Msg("stepped down")
		// A term that fails at once again and again (something it meets
		// at every start) must not bump the epoch hundreds of times a
		// second: the campaigns that follow are paced, a standby leads
		// meanwhile.
		if time.Since(began) < termSettle {
			short++
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(electionRetry.Delay(short)):
			}
		} else {
			short = 0
		}
	}
}

// termSettle is how long a term must last for the next campaign to follow
// at once.
const termSettle = 10 * time.Second

// lead runs one term.
func (s *Scheduler) lead(ctx context.Context, term *Term) error {
	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-term.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	start, err := s.bumpEpoch(ctx, term)
	if err != nil {
		return err
	}
	s.epoch.Store(start.epoch)
	s.leading.Store(true)
	s.counters.elected.Add(1)
	l := newLeader(s, term, start.epoch)
	s.log.Info().Int64("epoch", start.epoch).Int64("zxid", start.zxid).Dur("zookeeper_clock_ahead_ms", start.zkAhead).
		Str("leader", s.cfg.ID).Msg("elected leader")
	err = l.run(ctx)
	l.end(outer.Err() != nil)
	s.counters.viewReady.Store(false)
	for i := range s.counters.queued {
		s.counters.queued[i].Store(0)
	}
	s.counters.workers.Store(0)
	s.counters.cordoned.Store(0)
	s.counters.headSince.Store(0)
	s.counters.delayed.Store(0)
	s.counters.held.Store(0)
	if errors.Is(err, store.ErrFenced) {
		s.counters.fenced.Add(1)
	}
	if term.Done() != nil {
		select {
		case <-term.Done():
			return fmt.Errorf("%w: %v", ErrNotLeader, err)
		default:
		}
	}
	return err
}

// termStart is what a term learnt as it began (bumpEpoch): its epoch, the
// bump's zxid, and how far ZooKeeper's clock is ahead of this scheduler's
// (zero when unknown), which the log tells an operator: a large offset
// shifts what the leader times against what ZooKeeper stamps.
type termStart struct {
	epoch, zxid int64
	zkAhead     time.Duration
}

// bumpEpoch records a new term in <root>/epoch, fenced by the term. A race
// with another write is tried again at once; a lost connection, once the
// session is back (ctx ends with the term).
func (s *Scheduler) bumpEpoch(ctx context.Context, term *Term) (termStart, error) {
	// base is the epoch the first try read: every bump from it on is this
	// scheduler's (a try whose reply was lost may have landed), since the
	// fence, its election znode, lets no other leader bump meanwhile.
	base, restarted := int64(-1), false
	for try := 0; ; try++ {
		sent := s.cfg.Now()
		b, err := s.cfg.Store.BumpEpoch(term.Fence, s.cfg.ID, sent)
		if base < 0 && (b.Replaced.Epoch > 0 || b.Restarted) {
			base = b.Replaced.Epoch
		}
		restarted = restarted || b.Restarted
		if err == nil {
			c := s.carried()
			if r := b.Replaced; r.Epoch > 0 && c.owned[r.Epoch] && r.Leader != s.cfg.ID {
				restarted = true // another's term under a number this one had: recounted
			}
			if restarted {
				// The count started over: the numbers it kept may name
				// other leaders' terms now; what waited on them is let go
				// uncounted rather than taken for another's.
				c.restart()
			}
			c.own(b.Epoch)
			for e := base + 1; base >= 0 && e < b.Epoch; e++ {
				c.own(e) // an earlier try's, its reply lost
			}
			start := termStart{epoch: b.Epoch, zxid: b.Zxid}
			if !b.At.IsZero() {
				// Stamped between the request and its reply: the middle
				// of the two, within half the round trip.
				start.zkAhead = b.At.Sub(sent.Add(s.cfg.Now().Sub(sent) / 2)).Round(time.Millisecond)
			}
			return start, nil
		}
		if errors.Is(err, store.ErrFenced) || try > 10 {
			return termStart{}, err
		}
		if errors.Is(err, store.ErrConnection) {
			if _, err := s.cfg.Store.CurrentSession(ctx); err != nil {
				return termStart{}, err
			}
		}
	}
}
