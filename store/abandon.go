package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// abandonSet holds the ephemeral znodes of this store's session their owner
// gave up and could not delete (see Abandon).
type abandonSet struct {
	mu sync.Mutex
	// paths are znodes by path; prefixes are "dir/prefix" of znodes a
	// create may have made whose reply was lost (a sequential name is
	// known only by its prefix).
	paths, prefixes map[string]bool
	running         bool
	empty           chan struct{} // closed once nothing is left; nil: nothing was
}

// Abandon hands the store ephemeral znodes of its session that their owner
// gave up but could not delete, ZooKeeper being out of reach (a term's
// resign, a campaign stopped while cut off). The store deletes them as
// soon as it is connected again, for as long as it is open. Left to the
// session they would stand for as long as the store lives when it
// reconnects within the session: an election znode first in line with
// nobody leading behind it. Once the session has ended they went with it.
func (s *Store) Abandon(paths ...string) {
	s.abandon(paths, nil)
}

// abandonPrefix abandons the child of dir whose name starts with prefix,
// if a create whose reply was lost made it.
func (s *Store) abandonPrefix(dir, prefix string) {
	s.abandon(nil, []string{dir + "/" + prefix})
}

func (s *Store) abandon(paths, prefixes []string) {
	if s.Closed() {
		return // the session ended with it
	}
	a := &s.abandoned
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.paths == nil {
		a.paths, a.prefixes = map[string]bool{}, map[string]bool{}
	}
	for _, p := range paths {
		a.paths[p] = true
	}
	for _, p := range prefixes {
		a.prefixes[p] = true
	}
	s.log.Warn().Strs("znodes", paths).Strs("prefixes", prefixes).Msg("znodes given up while ZooKeeper is out of reach: deleting them once it is back")
	if a.running {
		return
	}
	// Added under s.mu, where Close marks the store closed before it waits
	// for bg: never an Add after that Wait began.
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.bg.Add(1)
	}
	s.mu.Unlock()
	if closed {
		clear(a.paths)
		clear(a.prefixes)
		return
	}
	a.running, a.empty = true, make(chan struct{})
	go s.dropAbandoned()
}

// WaitAbandoned waits until no znode handed to Abandon is left, or ctx ends.
func (s *Store) WaitAbandoned(ctx context.Context) error {
	a := &s.abandoned
	a.mu.Lock()
	empty := a.empty
	a.mu.Unlock()
	if empty == nil {
		return nil
	}
	select {
	case <-empty:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dropAbandoned deletes the abandoned znodes whenever the store is
// connected, until none is left or the store is closed.
func (s *Store) dropAbandoned() {
	defer s.bg.Done()
	a := &s.abandoned
	for {
		a.mu.Lock()
		var paths, prefixes []string
		for p := range a.paths {
			paths = append(paths, p)
		}
		for p := range a.prefixes {
			prefixes = append(prefixes, p)
		}
		if len(paths)+len(prefixes) == 0 || s.Closed() {
			clear(a.paths)
			clear(a.prefixes)
			a.running = false
			close(a.empty)
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		done := func(set map[string]bool, p string) {
			a.mu.Lock()
			delete(set, p)
			a.mu.Unlock()
		}
		drop := func(set map[string]bool, key, path string) {
			err := s.Delete(path, -1)
			switch {
			case err == nil || errors.Is(err, ErrNoNode):
				s.log.Info().Str("znode", path).Msg("znode given up deleted")
				done(set, key)
			case errors.Is(err, ErrSessionExpired):
				done(set, key) // it went with the session
			case errors.Is(err, ErrConnection), errors.Is(err, ErrClosed):
			default:
				s.log.Error().Err(err).Str("znode", path).Msg("cannot delete a znode given up: it goes with the session")
				done(set, key)
			}
		}
		if _, err := s.CurrentSession(context.Background()); err != nil {
			continue // closed
		}
		for _, p := range paths {
			drop(a.paths, p, p)
		}
		for _, p := range prefixes {
			i := strings.LastIndexByte(p, '/')
			name, err := s.childWithPrefix(context.Background(), p[:i], p[i+1:])
			switch {
			case errors.Is(err, ErrClosed):
			case err != nil:
				// Not one of connection (childWithPrefix waits those out):
				// the directory cannot be read.
				s.log.Error().Err(err).Str("prefix", p).Msg("cannot look for a znode given up: it goes with the session")
				done(a.prefixes, p)
			case name == "":
				done(a.prefixes, p) // never made, or gone with its session
			default:
				drop(a.prefixes, p, p[:i]+"/"+name)
			}
		}
		// What is left failed on the connection: try again once it
		// changes, or in a second.
		_, changed := s.Connected()
		a.mu.Lock()
		left := len(a.paths) + len(a.prefixes)
		a.mu.Unlock()
		if left > 0 {
			select {
			case <-changed:
			case <-time.After(time.Second):
			}
		}
	}
}
