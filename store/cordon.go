package store

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"time"
	"unicode"
	"unicode/utf8"
)

// Cordon is the record at <root>/cordons/<worker-id>: while it exists, the
// leader places no new work on a worker of that id, as on a draining one,
// and what is placed on it already runs. Unlike a drain it leaves the
// worker running, outlives the worker's restarts, and is set and lifted
// from anywhere (drover workers cordon|uncordon). The znode's name is the
// cordon; the record only says who set it, when and why, and an empty one
// (made by hand with zkCli) cordons as well.
type Cordon struct {
	V     int       `json:"v"`
	Note  string    `json:"note,omitempty"`
	By    string    `json:"by,omitempty"`
	Since time.Time `json:"since,omitzero"`
}

func (c *Cordon) setV() { c.V = FormatVersion }

// MaxCordonNote bounds a cordon's note, in bytes.
const MaxCordonNote = 512

// MaxCordons bounds the cordons, so that their directory's listing (at
// most some 140 bytes a name) stays well under what one reply carries.
const MaxCordons = 4096

// ErrTooManyCordons is returned by CordonWorker with MaxCordons in place.
var ErrTooManyCordons = errors.New("too many cordons")

// maxCordons is MaxCordons; tests lower it.
var maxCordons = MaxCordons

// ValidateCordonNote accepts a note of at most MaxCordonNote bytes of UTF-8
// with no control characters: it is shown on one line of a table.
func ValidateCordonNote(note string) error {
	if len(note) > MaxCordonNote {
		return fmt.Errorf("note: longer than %d bytes: %w", MaxCordonNote, ErrInvalidName)
	}
	if !utf8.ValidString(note) {
		return fmt.Errorf("note: not UTF-8: %w", ErrInvalidName)
	}
	for _, r := range note {
		if unicode.IsControl(r) {
			return fmt.Errorf("note %q: must not contain control characters: %w", note, ErrInvalidName)
		}
	}
	return nil
}

// DecodeCordon decodes a cordon record; empty data is a cordon with nothing
// said about it.
func DecodeCordon(data []byte) (*Cordon, error) {
	c := &Cordon{}
	if len(data) == 0 {
		return c, nil
	}
	if err := Decode(data, c); err != nil {
		return nil, err
	}
	if err := ValidateCordonNote(c.Note); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := ValidateCordonNote(c.By); err != nil {
		return nil, fmt.Errorf("%w: by: %v", ErrMalformed, err)
	}
	return c, nil
}

// CordonWorker cordons worker id with c, unless it is cordoned already: then
// it changes nothing and returns the cordon in place (an empty one when its
// record does not decode). A cluster made by an older release has no
// cordons directory: it is made. MaxCordons holds against clients that
// cordon at once: each create is one transaction with a write of the
// directory at the version whose child count was checked, so of two at the
// bound one fails, looks again, and is refused.
func (s *Store) CordonWorker(id string, c Cordon) (existing *Cordon, err error) {
	if err := ValidateNodeName(id); err != nil {
		return nil, fmt.Errorf("worker id: %w", err)
	}
	if err := ValidateCordonNote(c.Note); err != nil {
		return nil, err
	}
	data, err := Encode(&c)
	if err != nil {
		return nil, fmt.Errorf("cordon %s: %w", id, err)
	}
	dir, p := s.layout.Cordons(), s.layout.Cordon(id)
	for try := 0; ; try++ {
		if try == maxCordonTries {
			return nil, fmt.Errorf("cordon %s: the cordons changed at every one of %d tries: try again", id, try)
		}
		ok, st, err := s.Exists(dir)
		if err == nil && !ok {
			if err = s.EnsurePath(dir); err == nil {
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("cordon %s: %w", id, err)
		}
		if st.NumChildren >= int32(maxCordons) {
			if e, found, err := s.cordonAt(p); err != nil || found {
				return e, err
			}
			return nil, fmt.Errorf("cordon %s: %w: %d in place, at most %d (drover workers names them; uncordon some)", id, ErrTooManyCordons, st.NumChildren, maxCordons)
		}
		err = s.Txn().Set(dir, nil, st.Version).Create(p, data).Commit()
		switch {
		case err == nil:
			return nil, nil
		case errors.Is(err, ErrNodeExists):
			if e, found, err := s.cordonAt(p); err != nil || found {
				return e, err
			}
			// Lifted between the two: look again.
		case errors.Is(err, ErrBadVersion), errors.Is(err, ErrNoNode):
			// Another cordon made meanwhile (or the directory gone): count again.
		default:
			return nil, fmt.Errorf("cordon %s: %w", id, err)
		}
	}
}

// maxCordonTries bounds the passes of CordonWorker that others' cordons
// made at the same moment undo.
const maxCordonTries = 10

// cordonAt reads the cordon at p: found false when there is none. One that
// does not decode is a cordon with nothing said.
func (s *Store) cordonAt(p string) (c *Cordon, found bool, err error) {
	data, _, err := s.Get(p)
	if errors.Is(err, ErrNoNode) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cordon %s: %w", path.Base(p), err)
	}
	if c, err := DecodeCordon(data); err == nil {
		return c, true, nil
	}
	return &Cordon{}, true, nil
}

// UncordonWorker lifts worker id's cordon; was says whether there was one.
func (s *Store) UncordonWorker(id string) (was bool, err error) {
	if err := ValidateNodeName(id); err != nil {
		return false, fmt.Errorf("worker id: %w", err)
	}
	err = s.Delete(s.layout.Cordon(id), -1)
	if errors.Is(err, ErrNoNode) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("uncordon %s: %w", id, err)
	}
	return true, nil
}

// Cordons reads every cordon for display, pipelined; it changes nothing. A
// record that does not decode (malformed, which the leader moves aside, or
// of a newer Drover) or may not be read still cordons its worker, and
// reads as an empty one. A cluster of an older release, with no cordons
// directory, has none. hidden says the directory may not be listed with
// these credentials (made by a process not given the read-only identity):
// which workers are cordoned is not known, and none is returned.
func (s *Store) Cordons() (cordons map[string]*Cordon, hidden bool, err error) {
	ids, err := s.Children(s.layout.Cordons())
	switch {
	case errors.Is(err, ErrNoNode):
		return map[string]*Cordon{}, false, nil
	case errors.Is(err, ErrNoAuth):
		return map[string]*Cordon{}, true, nil
	case err != nil:
		return nil, false, err
	}
	sort.Strings(ids)
	paths := make([]string, len(ids))
	for i, id := range ids {
		paths[i] = s.layout.Cordon(id)
	}
	out := make(map[string]*Cordon, len(ids))
	for i, rd := range s.GetMany(paths) {
		switch {
		case errors.Is(rd.Err, ErrNoNode):
			continue
		case errors.Is(rd.Err, ErrNoAuth):
			out[ids[i]] = &Cordon{} // there, if not readable
		case rd.Err != nil:
			return nil, false, rd.Err
		default:
			c, err := DecodeCordon(rd.Data)
			if err != nil {
				c = &Cordon{}
			}
			out[ids[i]] = c
		}
	}
	return out, false, nil
}

// CheckCordons reads the cordons of ids, as the leader does once for each
// new one, and moves a record that does not decode to deadletter, leaving
// an empty record in its place: the name is the cordon, and the worker
// stays cordoned. One of a newer format, or that may not be read, is left
// alone. One whose name no worker id can have (made by hand) cordons
// nothing, and is moved aside whole.
func (s *Store) CheckCordons(ids []string) error {
	paths := make([]string, len(ids))
	for i, id := range ids {
		paths[i] = s.layout.Cordon(id)
	}
	for i, rd := range s.GetMany(paths) {
		if errors.Is(rd.Err, ErrNoNode) {
			continue
		}
		if errors.Is(rd.Err, ErrNoAuth) {
			// Made by hand with an ACL that keeps this process out: it
			// cordons all the same, and is not ours to move (nor can it be
			// read to be).
			s.log.Warn().Str("path", rd.Path).Msg("cordon not readable with these credentials: left as it is")
			continue
		}
		if rd.Err != nil {
			return rd.Err
		}
		var err error
		if nerr := ValidateNodeName(ids[i]); nerr != nil {
			err = s.Quarantine(rd.Path, rd.Data, rd.Stat.Version, fmt.Errorf("%w: cordon of no worker id: %v", ErrMalformed, nerr))
		} else if _, derr := DecodeCordon(rd.Data); derr != nil && !errors.Is(derr, ErrUnsupportedVersion) {
			err = s.quarantine(rd.Path, rd.Data, rd.Stat.Version, derr, func(t *Txn) { t.Set(rd.Path, nil, rd.Stat.Version) })
		}
		if err != nil && !errors.Is(err, ErrNoNode) && !errors.Is(err, ErrBadVersion) {
			return err
		}
	}
	return nil
}
