package store_test

import (
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A watch set before a reconnect fires for a change made while the client
// was away, also when the connection that was to set it again on the
// server is lost after a reply and before its SetWatches: go-zookeeper
// sends the requests queued meanwhile before SetWatches, and their replies
// move its last zxid on, past the change; SetWatches from that zxid would
// fire nothing. Here: a watch on dir's children, the connection cut, a
// child created, a read queued; on the next connection the read is
// answered and SetWatches dropped (a proxy that reads frames), then that
// connection cut too; on the third, the watch must fire. The patch in
// third_party/go-zookeeper-zk keeps the older zxid until a connection's
// SetWatches all went through (found by review).
func TestWatchFiresAfterASetWatchesLostWithItsConnection(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	dir := root + "/sw/dir"
	if err := st.EnsurePath(dir); err != nil {
		t.Fatal(err)
	}
	px := startSetWatchesProxy(t, drovertest.Addr())
	via := drovertest.OpenStoreFor(t, px.addr(), root, 20*time.Second)
	_, _, ev, err := via.ListW(dir)
	if err != nil {
		t.Fatal(err)
	}
	px.kill(1)
	drovertest.WaitFor(t, 10*time.Second, "the client's second connection held at the proxy", func() bool { return px.accepted() >= 2 })
	if err := st.Create(dir+"/child", nil); err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() { read <- queuedRead(via, root+"/sw") }()
	drovertest.WaitFor(t, 10*time.Second, "the read queued in the client", func() bool {
		buf := make([]byte, 1<<20)
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "queuedRead") && strings.Contains(g, "(*Conn).request(") {
				return true
			}
		}
		return false
	})
	close(px.hold)
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	select {
	case <-px.swallowed:
	case <-time.After(10 * time.Second):
		t.Fatal("no SetWatches on the second connection")
	}
	if ops := px.opsOf(2); len(ops) < 2 || ops[0] == opSetWatches {
		t.Fatalf("second connection's requests %v: want the queued read before SetWatches", ops)
	}
	px.kill(2)
	select {
	case e := <-ev:
		t.Logf("watch fired: %+v", e)
	case <-time.After(10 * time.Second):
		t.Fatalf("a child created while the client was away: its listing's watch never fired (second connection's requests %v, third's %v)", px.opsOf(2), px.opsOf(3))
	}
}

// queuedRead is a read the test finds queued in the client by name.
func queuedRead(via *store.Store, p string) error {
	_, _, err := via.Exists(p)
	return err
}

const opSetWatches = 101

// setWatchesProxy forwards ZooKeeper connections, holds the second one until
// hold is closed, and drops the SetWatches frames of the second connection.
type setWatchesProxy struct {
	t         *testing.T
	ln        net.Listener
	target    string
	hold      chan struct{}
	swallowed chan struct{}
	once      sync.Once
	mu        sync.Mutex
	conns     map[int][]net.Conn
	ops       map[int][]int32
	n         int
	done      chan struct{} // closed when the test ends
	wg        sync.WaitGroup
}

func startSetWatchesProxy(t *testing.T, target string) *setWatchesProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &setWatchesProxy{t: t, ln: ln, target: target, hold: make(chan struct{}), swallowed: make(chan struct{}),
		conns: map[int][]net.Conn{}, ops: map[int][]int32{}, done: make(chan struct{})}
	t.Cleanup(func() {
		ln.Close()
		close(p.done)
		p.mu.Lock()
		for _, cs := range p.conns {
			for _, c := range cs {
				c.Close()
			}
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	p.wg.Add(1)
	go p.accept()
	return p
}

func (p *setWatchesProxy) addr() string { return p.ln.Addr().String() }

func (p *setWatchesProxy) accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *setWatchesProxy) opsOf(k int) []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int32(nil), p.ops[k]...)
}

func (p *setWatchesProxy) kill(k int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns[k] {
		c.Close()
	}
}

func (p *setWatchesProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.n++
		k := p.n
		p.conns[k] = []net.Conn{c}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(k, c)
	}
}

func (p *setWatchesProxy) serve(k int, c net.Conn) {
	defer p.wg.Done()
	if k == 2 {
		select {
		case <-p.hold:
		case <-p.done:
			c.Close()
			return
		}
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[k] = append(p.conns[k], s)
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(c, s)
		c.Close()
	}()
	defer s.Close()
	defer c.Close()
	first := true
	for {
		var head [4]byte
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		body := make([]byte, binary.BigEndian.Uint32(head[:]))
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		if !first && len(body) >= 8 {
			op := int32(binary.BigEndian.Uint32(body[4:8]))
			if xid := int32(binary.BigEndian.Uint32(body[0:4])); xid != -2 {
				p.mu.Lock()
				p.ops[k] = append(p.ops[k], op)
				p.mu.Unlock()
			}
			if k == 2 && op == opSetWatches {
				p.once.Do(func() { close(p.swallowed) })
				continue
			}
		}
		first = false
		if _, err := s.Write(append(head[:], body...)); err != nil {
			return
		}
	}
}
