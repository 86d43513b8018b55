package store

import (
	"errors"
	"fmt"
	"path"
	"slices"
)

// takenKeys reads the keys of the pending tasks that have one, sets the
// result of each task whose key names a task still kept, and returns the
// rest with, for each whose key names a task no longer kept (see
// orphanedKey), the versions read: the task takes the key over at them. A
// key record that does not decode, or names no task id, is moved aside at
// the versions read (its task is written and makes the key anew). A key
// record of a newer format version fails the submit (wrapping
// ErrUnsupportedVersion) and stays: a newer release's task holds the key.
func (s *Store) takenKeys(tasks []*Task, pending []int, out []SubmitResult) ([]int, map[int]keyFree, error) {
	var keyed []int
	var paths []string
	for _, i := range pending {
		if tasks[i].Key != "" {
			keyed, paths = append(keyed, i), append(paths, s.layout.Key(KeyHash(tasks[i].Key)))
		}
	}
	// The keys' shard directories first, whose data nobody reads: a
	// take-over (or a key moved aside) writes its shard at the version
	// read, so that a submit that read a key after its shard does not take
	// it, though it is back at the version read (taken over, pruned with
	// its task, made anew). Read after the key, the shard told nothing of
	// what came between the two reads.
	shardAt := map[string]int32{}
	var shards []string
	for _, i := range keyed {
		if shard := s.layout.KeyShard(KeyHash(tasks[i].Key)); !slices.Contains(shards, shard) {
			shards = append(shards, shard)
		}
	}
	for _, r := range s.GetMany(shards) {
		switch {
		case r.Err == nil:
			shardAt[r.Path] = r.Stat.Version
		case !errors.Is(r.Err, ErrNoNode):
			return nil, nil, fmt.Errorf("read key shard: %w", r.Err)
		}
	}
	reads := s.GetMany(paths)
	if s.keyRecordsRead != nil {
		s.keyRecordsRead()
	}
	taken := map[int]bool{}
	freeAt := map[int]keyFree{}
	type named struct {
		i    int
		key  Read
		task string
	}
	var found []named
	for k, r := range reads {
		shard := s.layout.KeyShard(KeyHash(tasks[keyed[k]].Key))
		switch {
		case errors.Is(r.Err, ErrNoNode):
		case r.Err != nil:
			return nil, nil, fmt.Errorf("read key: %w", r.Err)
		default:
			var kr KeyRecord
			err := Decode(r.Data, &kr)
			if err == nil && ValidateTaskID(kr.Task) != nil {
				err = fmt.Errorf("%w: key names no task id", ErrMalformed)
			}
			if err == nil {
				found = append(found, named{i: keyed[k], key: r, task: kr.Task})
				continue
			}
			if errors.Is(err, ErrUnsupportedVersion) {
				// A newer release wrote it: not malformed, and this build
				// must not guess what it says (its task, or whether the key
				// is free). Left as it is, as MoveKeyAside leaves it; the
				// key is taken, by a task this build cannot name.
				return nil, nil, fmt.Errorf("idempotency key %q is held by a newer Drover's record, which this build cannot read (upgrade it): %w", tasks[keyed[k]].Key, err)
			}
			v, ok := shardAt[shard]
			if !ok {
				// Its shard was made after it was read: the key is read
				// again when the task's create finds it.
				continue
			}
			// Left, it would refuse every submit with its key. Moved aside
			// at the versions of the key and its shard read: a delete at
			// the key's alone could take the key another submit made anew
			// meanwhile, at the same version, and both would own it.
			qerr := s.quarantine(r.Path, r.Data, r.Stat.Version, fmt.Errorf("key record: %w", err), func(txn *Txn) {
				txn.Delete(r.Path, r.Stat.Version)
				txn.Set(shard, nil, v)
			})
			switch {
			case qerr == nil:
				shardAt[shard] = v + 1 // moved on by this write alone
			case !errors.Is(qerr, ErrNoNode) && !errors.Is(qerr, ErrBadVersion):
				return nil, nil, qerr
			}
		}
	}
	// Each key's task's key index entry, made with the key: one more
	// round trip, on a key used before only.
	entries := make([]string, len(found))
	for j, f := range found {
		entries[j] = s.layout.KeyIndexItem(f.task)
	}
	for j, e := range s.GetMany(entries) {
		f := found[j]
		switch {
		case e.Err == nil:
		case errors.Is(e.Err, ErrNoNode):
			orphaned, err := s.orphanedKey(f.key, f.task)
			if err != nil {
				return nil, nil, err
			}
			if orphaned {
				// Taken over at the versions read. (A shard made after
				// its read leaves the task to a create, which finds the
				// key and reads it again.)
				if v, ok := shardAt[s.layout.KeyShard(KeyHash(tasks[f.i].Key))]; ok {
					freeAt[f.i] = keyFree{key: f.key.Stat.Version, shard: v}
				}
				continue
			}
		default:
			return nil, nil, fmt.Errorf("read key index entry: %w", e.Err)
		}
		out[f.i], taken[f.i] = SubmitResult{ID: f.task, Existing: true}, true
	}
	rest := pending[:0]
	for _, i := range pending {
		if !taken[i] {
			rest = append(rest, i)
		}
	}
	return rest, freeAt, nil
}

// MoveKeyAside moves the idempotency key record at keyPath to deadletter
// if it does not decode or names no task id, at the versions of the record
// and of its shard directory, read in that order: a delete at the record's
// version alone could take a key that a submit moved aside and made anew
// meanwhile, at the same version, and two tasks would own it (see
// takenKeys). A key that is gone, or readable now, is left.
func (s *Store) MoveKeyAside(keyPath string) error {
	shard := path.Dir(keyPath)
	_, sst, err := s.Get(shard)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("move key %s aside: %w", keyPath, err)
	}
	data, st, err := s.Get(keyPath)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("move key %s aside: %w", keyPath, err)
	}
	var kr KeyRecord
	derr := Decode(data, &kr)
	if derr == nil && ValidateTaskID(kr.Task) != nil {
		derr = fmt.Errorf("%w: key names no task id", ErrMalformed)
	}
	if !errors.Is(derr, ErrMalformed) {
		return nil
	}
	err = s.quarantine(keyPath, data, st.Version, fmt.Errorf("key record: %w", derr), func(txn *Txn) {
		txn.Delete(keyPath, st.Version)
		txn.Set(shard, nil, sst.Version)
	})
	if errors.Is(err, ErrNoNode) || errors.Is(err, ErrBadVersion) {
		return nil // changed meanwhile: whoever changed it read it again
	}
	return err
}

// keyFree is where a submit takes a key over: the versions of the key and
// of its shard directory when read (the shard before the key).
type keyFree struct{ key, shard int32 }

// orphanedKey reports whether key, which names task and whose key index
// entry is gone, names a task no longer kept. A key and its entry are made
// in one transaction, and retention deletes them in one with the task's
// result: a key is kept as long as its task's result. But an entry that
// does not decode is moved aside alone (the key cannot be found from it),
// and its key stayed for ever, naming a task pruned since. (A key made
// before the key index existed has no entry either: it stands while its
// task is kept.) The submit that finds it takes it over with a write at the
// version read, never a delete: a delete at that version could take the key
// that another submit made again meanwhile, at the same version, and both
// would own it.
func (s *Store) orphanedKey(key Read, task string) (bool, error) {
	_, loc, err := s.LookupTask(task)
	switch {
	case err == nil || loc.Path != "": // found (readable or not): the key stands
		return false, nil
	case !errors.Is(err, ErrUnknownTask):
		return false, fmt.Errorf("look up task %s of key %s: %w", task, key.Path, err)
	}
	s.log.Warn().Str("task_id", task).Str("key", key.Path).Msg("idempotency key of a task no longer kept taken over")
	return true, nil
}

func hasFree(m map[int]keyFree, k int) bool {
	_, ok := m[k]
	return ok
}

// ErrNoKey is a lookup of an idempotency key no task holds.
var ErrNoKey = errors.New("no task has this idempotency key")

// TaskOfKey returns the id of the task that idempotency key names: ErrNoKey
// when no record of the key is kept (never given, or pruned with its task).
// A record that does not decode wraps ErrMalformed (left where it is: a
// submit of the key moves it aside); one of a newer format version wraps
// ErrUnsupportedVersion. The task itself may be gone (pruned while its key
// stayed): a lookup of the id tells.
//
// A key not found is read again after a sync: the server this session
// reads may be behind another client's submit that gave it (ZooKeeper
// orders a session's reads after its own writes only).
func (s *Store) TaskOfKey(key string) (string, error) {
	p := s.layout.Key(KeyHash(key))
	data, _, err := s.Get(p)
	if errors.Is(err, ErrNoNode) {
		if err := s.Sync(p); err != nil {
			return "", fmt.Errorf("read key %q: %w", key, err)
		}
		data, _, err = s.Get(p)
	}
	if errors.Is(err, ErrNoNode) {
		return "", fmt.Errorf("key %q: %w", key, ErrNoKey)
	}
	if err != nil {
		return "", fmt.Errorf("read key %q: %w", key, err)
	}
	var kr KeyRecord
	if err := Decode(data, &kr); err != nil {
		return "", fmt.Errorf("key %q: %w", key, err)
	}
	if err := ValidateTaskID(kr.Task); err != nil {
		return "", fmt.Errorf("key %q: %w: names no task id", key, ErrMalformed)
	}
	return kr.Task, nil
}
