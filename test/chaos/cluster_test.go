package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// proc is one drover process of the cluster under test.
type proc struct {
	name string
	args []string
	log  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

func (p *proc) alive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// cluster is a 3-server ZooKeeper ensemble plus drover schedulers and workers
// run as processes of the built binary.
type cluster struct {
	t       *testing.T
	bin     string
	dir     string
	root    string
	session time.Duration
	ens     *zkserver.Ensemble
	st      *store.Store
	client  *client.Client

	mu    sync.Mutex
	procs map[string]*proc
	// proxies stand between each process and each ZooKeeper server, so
	// that a process can be partitioned from the ensemble (partition).
	proxies map[string][]*drovertest.Proxy
}

func newCluster(t *testing.T, bin string, session time.Duration) *cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ens, err := zkserver.StartEnsemble(ctx, 3, zkserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The processes' logs are kept when the run fails: a rare failure is
	// looked into from them (the test prints only their ends).
	dir, err := os.MkdirTemp("", "drover-chaos-logs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the processes stop (cleanups run last first)
		if t.Failed() {
			t.Logf("the processes' logs are kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	c := &cluster{t: t, bin: bin, dir: dir, root: "/chaos", session: session, ens: ens, procs: map[string]*proc{},
		proxies: map[string][]*drovertest.Proxy{}}
	t.Cleanup(func() {
		c.stopAll()
		_ = ens.Stop()
	})
	st, err := store.Open(ctx, store.Config{Servers: splitComma(ens.Connect()), Root: c.root, SessionTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	c.st, c.client = st, client.New(st)
	return c
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// start runs (or restarts) a named drover process.
func (c *cluster) start(name string, args ...string) *proc {
	c.t.Helper()
	c.mu.Lock()
	p := c.procs[name]
	if p == nil {
		p = &proc{name: name, args: args, log: filepath.Join(c.dir, name+".log")}
		c.procs[name] = p
		for _, server := range splitComma(c.ens.Connect()) {
			c.proxies[name] = append(c.proxies[name], drovertest.StartProxy(c.t, server))
		}
	}
	var zk []string
	for _, px := range c.proxies[name] {
		zk = append(zk, px.Addr())
	}
	c.mu.Unlock()
	full := append([]string{"--zk", strings.Join(zk, ","), "--root", c.root, "--session-timeout", c.session.String(),
		"--log-level", "debug"}, p.args...)
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, full...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		c.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	return p
}

// partition cuts a process off from every ZooKeeper server (on): its bytes
// are dropped both ways and nothing is closed, as a network partition does,
// so it learns of it only from its silence. Off ends it, closing the
// connections the dropped bytes left garbled: the process connects again.
func (c *cluster) partition(p *proc, on bool) {
	c.mu.Lock()
	proxies := c.proxies[p.name]
	c.mu.Unlock()
	for _, px := range proxies {
		if on {
			px.Freeze()
		} else {
			px.Cut(true)
			px.Cut(false)
		}
	}
}

// signal sends sig to a process by pid.
func (c *cluster) signal(p *proc, sig syscall.Signal) {
	_ = syscall.Kill(p.pid(), sig)
}

// kill9 kills a process and waits for it to be gone.
func (c *cluster) kill9(p *proc) {
	c.signal(p, syscall.SIGKILL)
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	<-exited
}

func (c *cluster) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		if p.alive() {
			_ = syscall.Kill(p.pid(), syscall.SIGCONT)
			_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
			<-p.exited
		}
	}
}

// leaderProc returns the process that leads now, or nil.
func (c *cluster) leaderProc() *proc {
	l, err := c.client.Leader(context.Background())
	if err != nil {
		c.t.Logf("leader: %v", err)
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[l.ID]
}

// waitNewLeader waits until a scheduler other than old leads and returns how
// long that took from since.
func (c *cluster) waitNewLeader(old string, since time.Time, limit time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if l, err := c.client.Leader(context.Background()); err == nil && l.ID != old {
			// The election znode alone is not leadership: wait for the new
			// leader's epoch record too.
			rec, _, err := c.st.Epoch()
			if err == nil && rec.Leader == l.ID {
				return time.Since(since), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("no new leader within %v", limit)
}

// logs returns the log files of processes whose names have prefix.
func (c *cluster) logs(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for name, p := range c.procs {
		if len(name) >= len(prefix) && name[:len(prefix)] == prefix {
			out = append(out, p.log)
		}
	}
	sort.Strings(out)
	return out
}

func (c *cluster) names(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for name := range c.procs {
		if len(name) >= len(prefix) && name[:len(prefix)] == prefix {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (c *cluster) proc(name string) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[name]
}
