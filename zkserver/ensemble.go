package zkserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Ensemble is a quorum of ZooKeeper servers on loopback, each of which can be
// killed, stopped and restarted on its own (for chaos tests).
type Ensemble struct {
	servers []*Server
}

// StartEnsemble starts n servers (n odd, usually 3) and waits until every one
// serves as leader or follower.
func StartEnsemble(ctx context.Context, n int, cfg Config) (*Ensemble, error) {
	if n < 1 || n%2 == 0 {
		return nil, fmt.Errorf("ensemble of %d: want an odd number of servers", n)
	}
	type ports struct{ client, quorum, election int }
	ps := make([]ports, n)
	var lines []string
	for i := range ps {
		for _, p := range []*int{&ps[i].client, &ps[i].quorum, &ps[i].election} {
			v, err := FreePort()
			if err != nil {
				return nil, err
			}
			*p = v
		}
		lines = append(lines, fmt.Sprintf("server.%d=127.0.0.1:%d:%d", i+1, ps[i].quorum, ps[i].election))
	}
	e := &Ensemble{}
	for i := range ps {
		c := cfg
		c.Port, c.DataDir, c.Stdout = ps[i].client, "", nil
		c.myID, c.servers = i+1, lines
		s, err := newServer(c)
		if err != nil {
			_ = e.Stop()
			return nil, err
		}
		e.servers = append(e.servers, s)
		if err := s.start(ctx, false); err != nil {
			_ = e.Stop()
			return nil, err
		}
	}
	if err := e.WaitReady(ctx); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

// Servers returns the members, in myid order.
func (e *Ensemble) Servers() []*Server { return e.servers }

// Connect is the client connection string of all members.
func (e *Ensemble) Connect() string {
	addrs := make([]string, len(e.servers))
	for i, s := range e.servers {
		addrs[i] = s.Addr()
	}
	return strings.Join(addrs, ",")
}

// WaitReady waits until every running member serves as leader or follower.
func (e *Ensemble) WaitReady(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(e.servers))
	for i, s := range e.servers {
		if !s.Running() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.waitReady(ctx, serving, "srvr")
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// serving reports whether a srvr answer shows a member in the quorum.
func serving(ans string) bool {
	return strings.Contains(ans, "Mode: leader") || strings.Contains(ans, "Mode: follower")
}

// Restart starts member i again after Kill or Stop and waits for it to serve.
func (e *Ensemble) Restart(ctx context.Context, i int) error {
	s := e.servers[i]
	if err := s.Restart(ctx); err != nil {
		return err
	}
	return s.waitReady(ctx, serving, "srvr")
}

// Stop stops every member and removes their data.
func (e *Ensemble) Stop() error {
	var errs []error
	for _, s := range e.servers {
		errs = append(errs, s.Stop())
	}
	return errors.Join(errs...)
}
