package zkserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// EnsembleConfig configures every member of an ensemble. TickTime and
// StartTimeout apply to each member; Port and Stdout are ignored (each member
// gets its own ports and logs to server.log in its data dir); a non-empty
// DataDir is a parent directory for the members' data dirs zk1, zk2, ... which
// are kept, otherwise each member gets a temporary one that Stop removes.
type EnsembleConfig = Config

// Ensemble is a quorum of ZooKeeper servers on loopback. Each member can be
// killed, halted or stopped and restarted on its own (for chaos tests).
type Ensemble struct {
	servers []*Server
}

// StartEnsemble starts n servers (n odd, usually 3) with QuorumPeerMain and
// waits until every one reports a Mode to "srvr", one of them "leader".
func StartEnsemble(ctx context.Context, n int, cfg EnsembleConfig) (*Ensemble, error) {
	if n < 1 || n%2 == 0 {
		return nil, fmt.Errorf("ensemble of %d: want an odd number of servers", n)
	}
	ports, err := FreePorts(3 * n) // client, quorum and election port of each member
	if err != nil {
		return nil, err
	}
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("server.%d=127.0.0.1:%d:%d", i+1, ports[3*i+1], ports[3*i+2]))
	}
	e := &Ensemble{}
	for i := range n {
		c := cfg
		c.Port, c.Stdout = ports[3*i], nil
		if cfg.DataDir != "" {
			c.DataDir = filepath.Join(cfg.DataDir, fmt.Sprintf("zk%d", i+1))
		}
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

// Servers returns the members, in myid order (member i has myid i+1).
func (e *Ensemble) Servers() []*Server { return e.servers }

// Connect is the client connection string: every member's address, comma-separated.
func (e *Ensemble) Connect() string {
	addrs := make([]string, len(e.servers))
	for i, s := range e.servers {
		addrs[i] = s.Addr()
	}
	return strings.Join(addrs, ",")
}

// WaitReady waits until every running member reports a Mode to "srvr" and
// one of them is the leader. (A member outside a quorum answers that it is not
// serving requests; and followers of a leader that just died report "follower"
// until they notice, so a Mode alone is not enough.) It fails if a member
// that was running exits, or after StartTimeout.
func (e *Ensemble) WaitReady(ctx context.Context) error {
	var running []*Server
	for _, s := range e.servers {
		if s.Running() {
			running = append(running, s)
		}
	}
	if len(running) == 0 {
		return errors.New("zookeeper ensemble: no member is running")
	}
	ctx, cancel := context.WithTimeout(ctx, running[0].cfg.StartTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	answers := make([]string, len(running))
	for {
		var wg sync.WaitGroup
		for i, s := range running {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ans, err := FourLetter(s.Addr(), "srvr")
				if err != nil {
					ans = err.Error()
				}
				answers[i] = ans
			}()
		}
		wg.Wait()
		serving, leaders := 0, 0
		for i, s := range running {
			switch Mode(answers[i]) {
			case "":
				if !s.Running() {
					return fmt.Errorf("zookeeper ensemble member %s exited; last log lines:\n%s", s.Addr(), s.logTail())
				}
			case "leader", "standalone":
				leaders++
				serving++
			default:
				serving++
			}
		}
		if serving == len(running) && leaders == 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			var b strings.Builder
			for i, s := range running {
				fmt.Fprintf(&b, "\n%s: %s", s.Addr(), firstLine(answers[i]))
				if Mode(answers[i]) == "" {
					fmt.Fprintf(&b, "; last log lines:\n%s", s.logTail())
				}
			}
			return fmt.Errorf("zookeeper ensemble not serving: %w%s", ctx.Err(), b.String())
		case <-tick.C:
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Mode returns the Mode a srvr answer reports ("leader", "follower", ...), or "".
func Mode(srvr string) string {
	sc := bufio.NewScanner(strings.NewReader(srvr))
	for sc.Scan() {
		if m, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

// Restart starts member i again after Kill, Halt or Stop and waits until it
// reports a Mode. If it does not, it is left running (it may still join).
func (e *Ensemble) Restart(ctx context.Context, i int) error {
	s := e.servers[i]
	if err := s.Restart(ctx); err != nil {
		return err
	}
	return s.waitReady(ctx, memberReady)
}

// Stop stops every member (concurrently) and removes their temporary data.
func (e *Ensemble) Stop() error {
	var wg sync.WaitGroup
	errs := make([]error, len(e.servers))
	for i, s := range e.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Stop()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
