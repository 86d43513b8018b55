package drovertest

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP to ZooKeeper and can cut a client off entirely, so its
// session expires on the server while the process itself keeps running: the
// way to test session expiry without pausing the test.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
	frozen atomic.Bool
	// mute drops what the server sends (see DropReplies); marker, when set,
	// sets mute once a client sends it (DropRepliesAfter).
	mute   atomic.Bool
	marker atomic.Pointer[[]byte]
}

// StartProxy listens on a loopback port and forwards to target until the test
// ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Cut(true)
		p.wg.Wait()
	})
	return p
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut || p.frozen.Load() {
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
		go p.pipe(c, up, true)
		go p.pipe(up, c, false)
	}
}

// pipe copies src to dst; toClient says the bytes are the server's.
func (p *Proxy) pipe(dst, src net.Conn, toClient bool) {
	defer p.wg.Done()
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	var tail []byte // the end of what the client sent, for a marker across reads
	for {
		n, err := src.Read(buf)
		if m := p.marker.Load(); m != nil && !toClient && n > 0 {
			// Muted before the request goes on: its reply cannot come first.
			if seen := append(tail, buf[:n]...); bytes.Contains(seen, *m) {
				p.mute.Store(true)
				p.marker.Store(nil)
			} else {
				tail = append(tail[:0], seen[max(0, len(seen)-len(*m)):]...)
			}
		}
		if n > 0 && !p.frozen.Load() && !(toClient && p.mute.Load()) {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Freeze drops every byte both ways and refuses new connections, but closes
// nothing, as a network partition does: a client learns of it only from its
// read deadline. Cut(false) ends it (after Cut(true), which closes the
// connections the dropped bytes left garbled).
func (p *Proxy) Freeze() { p.frozen.Store(true) }

// DropReplies passes on what clients send but drops what the server sends
// back, so a request sent from now on is applied and its reply lost: the
// outcome a client cannot tell from a request that never arrived. Cut(true)
// ends it, closing the connections the dropped bytes left garbled; after
// Cut(false) a client connects again within its session.
func (p *Proxy) DropReplies() { p.mute.Store(true) }

// DropRepliesAfter is DropReplies from the moment a client sends marker
// (bytes of the request whose reply is to be lost: its path, say), so that
// the requests before it are answered.
func (p *Proxy) DropRepliesAfter(marker []byte) { p.marker.Store(&marker) }

// Cut(true) drops every connection and refuses new ones until Cut(false).
func (p *Proxy) Cut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if !cut {
		p.frozen.Store(false)
		p.mute.Store(false)
		p.marker.Store(nil)
	}
	if cut {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}
