package store

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Quarantine moves unreadable data at path to the deadletter directory, in one
// transaction that deletes it at the version that was read, so newer data is
// never moved by mistake.
func (s *Store) Quarantine(path string, data []byte, version int32, reason error) error {
	id, result := s.taskRecordOf(path)
	if id != "" && !result {
		elsewhere, err := s.livesElsewhere(id, path)
		if err != nil {
			return fmt.Errorf("quarantine %s: %w", path, err)
		}
		if elsewhere {
			id = "" // a stray copy: the task keeps its key
		}
	}
	entry, entryVersion, key, err := s.keyIndexEntryOf(id)
	if err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	return s.quarantine(path, data, version, reason, func(txn *Txn) {
		if result {
			// As a retry: its first-level bucket is written too, which
			// tells the leader its count of results there no longer
			// stands (too high, it would prune results to keep).
			txn.Unfinish(id, version)
		} else {
			txn.Delete(path, version)
		}
		if entry != "" {
			// The task's key index entry goes with the task: left, the
			// task would never get the result with which retention drops
			// key and entry, and every submit with its key would return
			// a task kept nowhere. Without the entry, the next such
			// submit looks the task up, and takes the key over if it
			// is nowhere (Submit).
			txn.Delete(entry, entryVersion)
		}
		if key.path != "" {
			// And the key, while it names the task: no result will come
			// to drop it with (retention drops a key with its task's
			// result), and nothing else would. Its shard moves on with it,
			// as when retention drops one (a submit taking the key over
			// checks the shard).
			txn.Delete(key.path, key.version)
			txn.Set(key.shard, nil, -1)
		}
	})
}

// taskKey is a key znode that names a task, at the version read.
type taskKey struct {
	path, shard string
	version     int32
}

// taskRecordOf is the id of the task whose queue item, assignment or result
// is at path ("" when path is none of those), and whether path is that
// task's result where Result puts it.
func (s *Store) taskRecordOf(path string) (id string, result bool) {
	rel, ok := strings.CutPrefix(path, s.layout.Root+"/")
	if !ok || !s.layout.IsRecord(path) {
		return "", false
	}
	parts := strings.Split(rel, "/")
	switch parts[0] {
	case "queue", "results":
		id = parts[3]
	case "tasks":
		if task, _, err := ParseAssignmentName(parts[2]); err == nil {
			id = task
		}
	}
	if ValidateTaskID(id) != nil {
		return "", false
	}
	return id, path == s.layout.Result(id)
}

// livesElsewhere reports whether task id, whose record at path (no
// result) is moved aside, has a record besides: its queue item or result,
// or an assignment in another place. Then the record is a stray copy, and
// the task's key and key index entry are the task's, and stay: a stray
// copy of a finished task moved aside took its key, and the next submit
// with it made a second task. A record that is the task's only one gives
// them up, wherever it stood (a queue item in the wrong bucket too).
func (s *Store) livesElsewhere(id, path string) (bool, error) {
	for _, p := range []string{s.layout.Result(id), s.layout.QueueItem(id)} {
		if p == path {
			continue
		}
		ok, _, err := s.Exists(p)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	assigned, err := s.Assignments()
	if err != nil {
		return false, err
	}
	for _, a := range assigned {
		if a.Task == id && a.Path != path {
			return true, nil
		}
	}
	return false, nil
}

// keyIndexEntryOf is the key index entry of task id, and its version; ""
// when id is "" or the task has no entry (no key). With it, the task's key
// when that still names the task (none when it does not, or cannot be
// read: the entry's going lets a later submit of the key take it over).
func (s *Store) keyIndexEntryOf(id string) (string, int32, taskKey, error) {
	if id == "" {
		return "", 0, taskKey{}, nil
	}
	entry := s.layout.KeyIndexItem(id)
	hash, st, err := s.Get(entry)
	if errors.Is(err, ErrNoNode) {
		return "", 0, taskKey{}, nil
	}
	if err != nil {
		// Not readable (an ACL without read, set by hand): the entry
		// still goes with the task, as exists needs no read permission;
		// the key stays, for a later submit of it to take over.
		ok, est, eerr := s.Exists(entry)
		if eerr != nil || !ok {
			return "", 0, taskKey{}, eerr
		}
		return entry, est.Version, taskKey{}, nil
	}
	var key taskKey
	if ValidKeyHash(string(hash)) {
		p := s.layout.Key(string(hash))
		data, kst, err := s.Get(p)
		var rec KeyRecord
		if err == nil && Decode(data, &rec) == nil && rec.Task == id {
			key = taskKey{path: p, shard: s.layout.KeyShard(string(hash)), version: kst.Version}
		}
	}
	return entry, st.Version, key, nil
}

// MaxDeadletters bounds the deadletter directory for the writers of its
// records: with that many, malformed data is done away with and not copied
// (its path, reason and size are logged), so the directory's listing
// (16 bytes a name) stays well under what one reply carries. The leader
// keeps it far below that (scheduler.Config.MaxDeadletters).
const MaxDeadletters = 50_000

// DeadlettersDropped is how many pieces of malformed data this store has
// done away with since it opened without a deadletter record, the directory
// being full (MaxDeadletters): they are in no count of deadletter/, only in
// the log.
func (s *Store) DeadlettersDropped() uint64 { return s.dropped.Load() }

// maxDeadletters is MaxDeadletters; tests lower it.
var maxDeadletters = MaxDeadletters

// quarantine copies data to deadletter and, in the same transaction, does
// away with it at path by remove.
func (s *Store) quarantine(path string, data []byte, version int32, reason error, remove func(*Txn)) error {
	_, dir, err := s.Exists(s.layout.Deadletter())
	if err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	full := dir.NumChildren >= int32(maxDeadletters)
	txn := s.Txn()
	aside := -1
	if !full {
		aside = txn.Len()
		txn.moveAside(path, data, reason)
	}
	remove(txn)
	if err := txn.commitAside(aside); err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	if full {
		s.dropped.Add(1)
		// Its size, not its bytes: a task record holds the submitter's env
		// values, which nothing else shows.
		s.log.Error().Str("path", path).Str("reason", reason.Error()).Int32("deadletters", dir.NumChildren).
			Int("bytes", len(data)).Msg("deadletter full: malformed data dropped")
		return nil
	}
	s.log.Warn().Str("path", path).Str("reason", reason.Error()).Msg("malformed data moved to deadletter")
	return nil
}

// moveChildrenAside moves every znode under record path to deadletter, each
// at the version read in a transaction of its own (deepest first), so that
// the record can be deleted: Drover keeps nothing under a record.
func (s *Store) moveChildrenAside(path string) error {
	kids, err := s.Children(path)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	reason := fmt.Errorf("%w: under record %s, where Drover keeps nothing", ErrMalformed, path)
	for _, k := range kids {
		p := path + "/" + k
		data, st, err := s.Get(p)
		if errors.Is(err, ErrNoNode) {
			continue
		}
		if err != nil {
			return err
		}
		if st.NumChildren > 0 {
			if err := s.moveChildrenAside(p); err != nil {
				return err
			}
		}
		if err := s.Quarantine(p, data, st.Version, reason); err != nil && !errors.Is(err, ErrNoNode) && !errors.Is(err, ErrBadVersion) {
			return err
		}
	}
	return nil
}

// moveAside adds the creation of a deadletter record holding data, found
// at path and unreadable for reason; the caller's operations in the same
// transaction do away with it there.
func (t *Txn) moveAside(path string, data []byte, reason error) {
	rec, err := Encode(&Deadletter{From: path, Reason: reason.Error(), At: time.Now().UTC(), Data: data})
	if err != nil {
		rec = deadletterHead(path, data, reason)
	}
	t.createSequential(t.s.layout.Deadletter()+"/d-", rec)
}

// commitAside commits t, whose operation aside (-1: none) creates a
// deadletter record. The deadletter directory exists from Open on but may
// have been deleted by hand; that create then fails with ErrNoNode, which
// callers would take for their data being gone already, and the data would
// stay where it is. So when it is that operation that fails so (not the
// one on the data's own znode), the directory is made again and t sent once
// more. Only the directory is made, not the root: with the root gone, so is
// the data, and the error says so.
func (t *Txn) commitAside(aside int) error {
	err := t.Commit()
	if aside < 0 || !errors.Is(err, ErrNoNode) || FailedOp(err) != aside {
		return err
	}
	dir := t.s.layout.Deadletter()
	if cerr := t.s.Create(dir, nil); cerr != nil && !errors.Is(cerr, ErrNodeExists) {
		return fmt.Errorf("%w (making %s again: %w)", err, dir, cerr)
	}
	t.s.log.Warn().Str("path", dir).Msg("deadletter directory was missing: made again")
	return t.Commit()
}

// deadletterHead encodes a deadletter record of data too large for one
// (its base64 takes 4/3 of it: a record of more than some 720 KB) with as
// much of its head as fits, and says so in the reason: what was cut is
// lost, but not all of it.
func deadletterHead(path string, data []byte, reason error) []byte {
	d := Deadletter{From: path, At: time.Now().UTC(),
		Reason: fmt.Sprintf("%v (data cut to its first %d of %d bytes: too large)", reason, len(data), len(data))}
	head, err := Encode(&d)
	if err == nil {
		n := min(len(data), (MaxRecordSize-len(head)-16)/4*3)
		d.Reason = fmt.Sprintf("%v (data cut to its first %d of %d bytes: too large)", reason, n, len(data))
		d.Data = data[:n]
		if rec, err := Encode(&d); err == nil {
			return rec
		}
	}
	rec, _ := Encode(&Deadletter{From: path, Reason: Clip(reason.Error(), 4<<10) + " (data dropped: too large)", At: time.Now().UTC()})
	return rec
}
