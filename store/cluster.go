package store

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// WorkerEntry is a registered worker as read from ZooKeeper.
type WorkerEntry struct {
	Info *WorkerInfo
	// Reg is the registration znode's czxid: it changes whenever the worker
	// registers anew, so assignments made to an earlier registration are known.
	Reg int64
}

// Workers reads every registration for display, pipelined (GetMany: a
// fleet of 500 cost 500 round trips one after the other). It changes
// nothing: ones that do not decode (malformed, or of a newer format), and
// ones no session holds, are skipped; the leader moves malformed ones aside.
func (s *Store) Workers() ([]WorkerEntry, error) {
	out, _, err := s.ListWorkers()
	return out, err
}

// ListWorkers is Workers with the count of registrations it skipped, for a
// listing to say that some are not shown (it said nothing).
func (s *Store) ListWorkers() (entries []WorkerEntry, skipped int, err error) {
	ids, err := s.Children(s.layout.Workers())
	if err != nil {
		return nil, 0, err
	}
	sort.Strings(ids)
	paths := make([]string, len(ids))
	for i, id := range ids {
		paths[i] = s.layout.Worker(id)
	}
	out := make([]WorkerEntry, 0, len(ids))
	for i, rd := range s.GetMany(paths) {
		if errors.Is(rd.Err, ErrNoNode) {
			continue
		}
		if errors.Is(rd.Err, ErrNoAuth) {
			// Registered by a worker not given the read-only identity
			// (DROVER_ZK_AUTH_READONLY): one this reader may not see, not
			// a listing it may not make.
			skipped++
			continue
		}
		if rd.Err != nil {
			return nil, 0, rd.Err
		}
		if info, err := decodeWorkerOf(ids[i], rd.Data); err == nil && rd.Stat.EphemeralOwner != 0 {
			out = append(out, WorkerEntry{Info: info, Reg: rd.Stat.Czxid})
		} else {
			skipped++
		}
	}
	return out, skipped, nil
}

// Worker reads one registration, as the leader does. A malformed one is
// quarantined and (nil, nil) returned; one of a newer format is left alone,
// (nil, nil) too.
func (s *Store) Worker(id string) (*WorkerEntry, error) {
	data, st, err := s.Get(s.layout.Worker(id))
	if err != nil {
		return nil, err
	}
	return s.decodeWorker(id, data, st)
}

// WorkerWFunc is Worker plus a watch that calls fn once when the
// registration changes or goes (see ListWFunc). watching says whether the
// watch was set: it is even when the record is malformed (nil entry) and
// moving it aside failed (err).
func (s *Store) WorkerWFunc(id string, fn WatchFunc) (e *WorkerEntry, watching bool, err error) {
	data, st, err := s.GetWFunc(s.layout.Worker(id), fn)
	if err != nil {
		return nil, false, err
	}
	e, err = s.decodeWorker(id, data, st)
	return e, true, err
}

func (s *Store) decodeWorker(id string, data []byte, st Stat) (*WorkerEntry, error) {
	info, err := decodeWorkerOf(id, data)
	if err == nil && st.EphemeralOwner == 0 {
		// Made by hand: a worker's registration is ephemeral. Taken for a
		// worker, it would be given tasks that nothing runs, for ever.
		err = fmt.Errorf("%w: registration %s is not ephemeral: no worker holds it", ErrMalformed, id)
	}
	switch {
	case errors.Is(err, ErrUnsupportedVersion):
		// A newer worker's, during an upgrade: not ours to move.
		s.newerMu.Lock()
		said := s.newer[id] == st.Czxid
		if !said {
			if s.newer == nil || len(s.newer) >= 4096 {
				s.newer = map[string]int64{} // bounded: many start over
			}
			s.newer[id] = st.Czxid
		}
		s.newerMu.Unlock()
		if !said {
			s.log.Warn().Str("worker_id", id).Err(err).Msg("registration of a newer format: ignored")
		}
		return nil, nil
	case err != nil:
		if qerr := s.Quarantine(s.layout.Worker(id), data, st.Version, err); qerr != nil && !errors.Is(qerr, ErrNoNode) {
			return nil, qerr
		}
		return nil, nil
	}
	return &WorkerEntry{Info: info, Reg: st.Czxid}, nil
}

// decodeWorkerOf decodes the registration of worker id.
func decodeWorkerOf(id string, data []byte) (*WorkerInfo, error) {
	info, err := DecodeWorker(data)
	if err == nil && info.ID != id {
		return nil, fmt.Errorf("%w: registration %s names worker %q", ErrMalformed, id, info.ID)
	}
	return info, err
}

// CandidateEntry is one scheduler in the election, in line order.
type CandidateEntry struct {
	Node string // znode name under election/
	Seq  int64
	Info Candidate
	// InfoErr says why Info could not be read (ErrMalformed, or a newer
	// Drover's ErrUnsupportedVersion); Info is then zero. The entry still
	// holds its place in line: its session is alive.
	InfoErr error
}

// Candidates lists the election line, leader first. A znode no session
// holds is no candidate (only an ephemeral one is), and is left out.
func (s *Store) Candidates() ([]CandidateEntry, error) {
	kids, err := s.Children(s.layout.Election())
	if err != nil {
		return nil, err
	}
	line := SortCandidates(kids)
	out := line[:0]
	for _, c := range line {
		data, st, err := s.Get(s.layout.Election() + "/" + c.Node)
		if errors.Is(err, ErrNoNode) {
			continue // left the line while we looked
		}
		if err != nil {
			return nil, err
		}
		if st.EphemeralOwner == 0 {
			continue // no scheduler holds it; the candidate behind moves it aside
		}
		// A bad record still holds its place in line; readers say they
		// could not read it.
		if err := Decode(data, &c.Info); err != nil {
			c.Info, c.InfoErr = Candidate{}, fmt.Errorf("election record %s: %w", c.Node, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// SortCandidates parses election znode names ("n_<guid>-<seq>") and orders them by
// sequence number. Names without a sequence are dropped.
func SortCandidates(names []string) []CandidateEntry {
	out := make([]CandidateEntry, 0, len(names))
	for _, n := range names {
		i := strings.LastIndexByte(n, '-')
		if i < 0 {
			continue
		}
		seq, err := strconv.ParseInt(n[i+1:], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, CandidateEntry{Node: n, Seq: seq})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	return out
}

// Epoch reads the current leader epoch record (zero when no leader was ever
// elected) and its znode version.
func (s *Store) Epoch() (EpochRecord, int32, error) {
	rec, _, st, err := s.epoch()
	return rec, st.Version, err
}

func (s *Store) epoch() (EpochRecord, []byte, Stat, error) {
	data, st, err := s.Get(s.layout.Epoch())
	if err != nil {
		return EpochRecord{}, nil, Stat{}, err
	}
	var rec EpochRecord
	if len(data) == 0 {
		return rec, data, st, nil
	}
	if err := Decode(data, &rec); err != nil {
		return EpochRecord{}, data, st, fmt.Errorf("epoch record: %w", err)
	}
	return rec, data, st, nil
}

// BumpEpoch records a new leader's term in <root>/epoch, in a transaction
// fenced by the leader's election znode, at the version it read, and
// returns the term's epoch. A record it cannot read (malformed, or of a
// newer Drover) goes to deadletter in the same transaction, and the count
// goes on from the znode's version, which only grows; a missing one is made
// again. ErrBadVersion (ErrNodeExists): another write came between the
// read and the write.
func (s *Store) BumpEpoch(fence, leader string, since time.Time) (EpochBump, error) {
	rec, data, st, err := s.epoch()
	bad, missing := err, errors.Is(err, ErrNoNode)
	switch {
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrUnsupportedVersion):
		rec.Epoch = max(rec.Epoch, int64(st.Version))
	case missing:
		// Deleted by hand: made again, the count starting over as a new
		// cluster's (nothing relies on its order; the fence is the
		// election znode). Without it no term could ever begin.
		bad = nil
	case err != nil:
		return EpochBump{}, fmt.Errorf("read epoch: %w", err)
	}
	next := EpochRecord{Epoch: rec.Epoch + 1, Leader: leader, Since: since.UTC()}
	enc, err := Encode(&next)
	if err != nil {
		return EpochBump{}, err
	}
	txn := s.Txn().Fence(fence, -1)
	aside := -1
	if bad != nil {
		aside = txn.Len()
		txn.moveAside(s.layout.Epoch(), data, bad)
	}
	if missing {
		txn.Create(s.layout.Epoch(), enc)
	} else {
		txn.stamp = txn.Len() // a data write: its zxid is the term's start
		txn.Set(s.layout.Epoch(), enc, st.Version)
	}
	// What the bump read, said with its error too.
	read := EpochBump{Restarted: missing}
	if bad == nil && !missing {
		read.Replaced = rec
	}
	if err := txn.commitAside(aside); err != nil {
		return read, fmt.Errorf("bump epoch: %w", err)
	}
	if missing {
		s.log.Warn().Str("path", s.layout.Epoch()).Int64("epoch", next.Epoch).Msg("epoch record was missing: made again")
	}
	if bad != nil {
		s.log.Warn().Str("path", s.layout.Epoch()).Str("reason", bad.Error()).Int64("epoch", next.Epoch).
			Msg("malformed data moved to deadletter")
	}
	read.Epoch, read.Zxid, read.At = next.Epoch, txn.Zxid(), txn.Mtime()
	return read, nil
}

// EpochBump is what BumpEpoch learnt of the term it began.
type EpochBump struct {
	Epoch int64
	// Zxid is the bump's zxid (0 when the znode was made again): a deposed
	// leader's writes all come before it.
	Zxid int64
	// At is when the bump was applied, by ZooKeeper's clock (zero when the
	// znode was made again): set beside the leader's own clock, it tells
	// how far the two are apart, for times ZooKeeper stamps (mtimes).
	At time.Time
	// Replaced is the record the bump read and wrote over (zero when there
	// was none to read); BumpEpoch gives it with its error too, once read.
	Replaced EpochRecord
	// Restarted: the record was missing and made again, its count starting
	// over: an epoch number no longer names one term.
	Restarted bool
}
