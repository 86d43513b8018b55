package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LiveOutput is what a worker publishes of a running attempt's output into
// <root>/follow/<task-id> while that znode exists: the end of each stream,
// as the command wrote it (raw bytes), and how many bytes it wrote in all.
// The znode is made by a follower (drover logs -f), ephemeral, so a task
// nobody follows costs nothing: workers watch the follow directory (one
// watch each) and write only into the znodes of attempts they run.
type LiveOutput struct {
	V       int    `json:"v"`
	Task    string `json:"task"`
	Attempt int    `json:"attempt"`
	Worker  string `json:"worker"`
	// Stdout and Stderr are what each stream got since the publication
	// before (for a follower that just came, the end of what was
	// written), at most LiveTail of each: its last bytes; StdoutBytes and
	// StderrBytes how many the attempt wrote to it so far, of which they
	// are the end.
	Stdout      []byte    `json:"stdout,omitempty"`
	Stderr      []byte    `json:"stderr,omitempty"`
	StdoutBytes int64     `json:"stdout_bytes,omitempty"`
	StderrBytes int64     `json:"stderr_bytes,omitempty"`
	At          time.Time `json:"at,omitzero"`
}

func (o *LiveOutput) setV() { o.V = FormatVersion }

// LiveTail bounds each stream's bytes in one LiveOutput: the bytes
// written since the last publication, or the end of what was written for
// a follower that came. A command that writes more than that between two
// publications (250 ms) leaves a gap the follower is told of; a followed
// task writes at most some 90 KB a second into ZooKeeper's log.
const LiveTail = 8 << 10

// MaxFollowers bounds the znodes in the follow directory: every worker
// lists the directory on each change.
const MaxFollowers = 1024

// ErrTooManyFollowers is returned by FollowTask with MaxFollowers in place.
var ErrTooManyFollowers = errors.New("too many followers")

// DecodeLiveOutput decodes a follow znode's data; empty data (no output
// published yet) is nil with no error.
func DecodeLiveOutput(data []byte) (*LiveOutput, error) {
	if len(data) == 0 {
		return nil, nil
	}
	o := &LiveOutput{}
	if err := Decode(data, o); err != nil {
		return nil, err
	}
	if o.Attempt < 1 || o.StdoutBytes < int64(len(o.Stdout)) || o.StderrBytes < int64(len(o.Stderr)) {
		return nil, fmt.Errorf("%w: live output of attempt %d: %d/%d bytes of stdout, %d/%d of stderr",
			ErrMalformed, o.Attempt, len(o.Stdout), o.StdoutBytes, len(o.Stderr), o.StderrBytes)
	}
	return o, nil
}

// FollowTask asks the workers for task id's live output: it makes the
// ephemeral znode <root>/follow/<id>, owned by this Store's session, unless
// one is there already: another follower's (owned false: shared, it goes
// with its owner's session, and the caller makes it again then) or this
// session's. Past MaxFollowers tasks followed it makes none
// (ErrTooManyFollowers); each create is one transaction with a write of
// the directory at the version whose child count was checked, so two
// followers at the bound cannot both pass it. A cluster made before
// follow existed gets the directory. owned may be true with an error (ctx
// ended once the znode was, or may have been, made): the caller deletes
// it.
func (s *Store) FollowTask(ctx context.Context, id string) (owned bool, err error) {
	if err := ValidateTaskID(id); err != nil {
		return false, err
	}
	dir, p := s.layout.Follow(), s.layout.FollowNode(id)
	// made: a create of this call may have landed (its reply lost, or the
	// session check after it failed); an error returned then says owned,
	// so that the caller deletes what may be there.
	made := false
	for try := 0; ; try++ {
		if try == maxFollowTries {
			return made, fmt.Errorf("follow %s: the followers changed at every one of %d tries: try again", id, try)
		}
		sess, err := s.CurrentSession(ctx)
		if err != nil {
			return made, err
		}
		ok, st, err := s.Exists(p)
		if err == nil && ok {
			return st.EphemeralOwner == sess.ID(), nil
		}
		var dst Stat
		if err == nil {
			ok, dst, err = s.Exists(dir)
			if err == nil && !ok {
				if err = s.EnsurePath(dir); err == nil {
					continue
				}
			}
		}
		switch {
		case errors.Is(err, ErrConnection):
			continue // CurrentSession waits for the connection
		case err != nil:
			return made, fmt.Errorf("follow %s: %w", id, err)
		case dst.NumChildren >= MaxFollowers:
			return made, fmt.Errorf("follow %s: %d tasks are followed (at most %d): %w", id, dst.NumChildren, MaxFollowers, ErrTooManyFollowers)
		}
		err = s.Txn().Set(dir, nil, dst.Version).createEphemeral(p, nil).Commit()
		switch {
		case err == nil:
			cur, err := s.CurrentSession(ctx)
			if err != nil {
				return true, err // made: the caller deletes it
			}
			if cur != sess {
				continue // made across a session change: Exists says whose
			}
			return true, nil
		case errors.Is(err, ErrConnection):
			made = true // its reply lost: Exists says, when it can
		case errors.Is(err, ErrNodeExists), errors.Is(err, ErrBadVersion), errors.Is(err, ErrNoNode):
			// Made meanwhile (by another, or by this create whose reply
			// was lost), another follower came, or the directory went:
			// look again.
		default:
			return made, s.writeErr(fmt.Errorf("follow %s: %w", id, err))
		}
	}
}

// maxFollowTries bounds the passes of FollowTask that others undo.
const maxFollowTries = 10

// Followed lists the tasks followed now and sets fn to be called once on
// the next change. A cluster made before follow existed has none (and no
// watch is set: the worker's caller looks again later).
func (s *Store) Followed(fn WatchFunc) ([]string, error) {
	ids, _, err := s.ListWFunc(s.layout.Follow(), fn)
	return ids, err
}

// PublishLiveOutput writes o into its task's follow znode; ErrNoNode when
// none is there (the follower left).
func (s *Store) PublishLiveOutput(o *LiveOutput) error {
	data, err := Encode(o)
	if err != nil {
		return err
	}
	_, err = s.Set(s.layout.FollowNode(o.Task), data, -1)
	return err
}
