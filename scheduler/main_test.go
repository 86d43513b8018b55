package scheduler

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

// runScheduler starts a scheduler and returns it with a stop function (also run
// at cleanup).
func runScheduler(t *testing.T, st *store.Store, id string, mods ...func(*Config)) (*Scheduler, func()) {
	t.Helper()
	cfg := Config{ID: id, Store: st, Log: drovertest.Logger(t)}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, drovertest.Run(t, "scheduler "+id, s.Run)
}

// fakeWorker registers a worker by hand so tests control exactly when work ends.
type fakeWorker struct {
	st  *store.Store
	id  string
	reg int64
}

func registerWorker(t *testing.T, root, id string, capacity int, labels map[string]string) *fakeWorker {
	t.Helper()
	st := drovertest.OpenStore(t, root)
	data, err := store.Encode(&store.WorkerInfo{ID: id, Host: "test", Capacity: capacity, Labels: labels, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	stat, err := st.CreateEphemeral(context.Background(), st.Layout().Worker(id), data)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsurePath(st.Layout().WorkerTasks(id)); err != nil {
		t.Fatal(err)
	}
	return &fakeWorker{st: st, id: id, reg: stat.Czxid}
}

func (w *fakeWorker) assignments(t *testing.T) []string {
	t.Helper()
	kids, err := w.st.Children(w.st.Layout().WorkerTasks(w.id))
	if err != nil && !errors.Is(err, store.ErrNoNode) {
		t.Fatal(err)
	}
	return kids
}

// finish reports an assignment as succeeded, as a worker would.
func (w *fakeWorker) finish(t *testing.T, name string) {
	t.Helper()
	p := w.st.Layout().WorkerTasks(w.id) + "/" + name
	data, stat, err := w.st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	task.State, task.ExitCode, task.FinishedAt = store.StateSucceeded, &zero, time.Now()
	err = w.st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		txn.Delete(p, stat.Version)
		return txn.Finish(task)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func submit(t *testing.T, st *store.Store, n int, mod func(i int, task *store.Task)) []string {
	t.Helper()
	tasks := make([]*store.Task, n)
	ids := make([]string, n)
	for i := range tasks {
		tasks[i] = &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
		if mod != nil {
			mod(i, tasks[i])
		}
		ids[i] = tasks[i].ID
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	return ids
}

// proxy forwards TCP to ZooKeeper and can cut a client off entirely, so its
// session expires on the server while the process itself keeps running.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.setCut(true)
		p.wg.Wait()
	})
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// setCut(true) drops every connection and refuses new ones until setCut(false).
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}
