package drovertest

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards TCP to ZooKeeper and can cut a client off entirely, so its
// session expires on the server while the process itself keeps running: the
// way to test session expiry without pausing the test. It also counts the
// requests its clients send (Requests, RoundTrips), so that a test can
// check what a read costs without timing it.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	cuts   int // Cut(true) calls, for a dial under way across one
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
	frozen atomic.Bool
	// mute drops what the server sends (see DropReplies); marker, when set,
	// sets mute once a client sends it (DropRepliesAfter).
	mute   atomic.Bool
	marker atomic.Pointer[[]byte]
	// freezes says the marker freezes (FreezeAt) rather than mutes.
	freezes atomic.Bool
	// hold, when set, is the marker whose request begins a hold (HoldAt,
	// HoldAnswersAfter); holdAnswers says what is held; held closes as
	// the hold begins, released as it ends (Release).
	hold              atomic.Pointer[[]byte]
	holdAnswers       atomic.Bool
	held, released    chan struct{}
	heldOnce, relOnce sync.Once

	requests, trips atomic.Int64
}

// StartProxy listens on a loopback port and forwards to target until the test
// ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}, held: make(chan struct{}), released: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Release() // a pipe waiting on it ends with its connection
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
		p.wg.Add(1)
		go p.connect(c)
	}
}

// connect dials the target for client c and pipes the two, apart from the
// accept loop and within a timeout: a dial to a server that is starting
// can wait on the kernel's SYN retries, and it held every other client's
// connection unanswered meanwhile (a client waits for its session's reply
// some 10 × its read timeout).
func (p *Proxy) connect(c net.Conn) {
	defer p.wg.Done()
	// c is a connection from the start, so that a cut while the dial waits
	// closes it; cuts tells whether one came and went meanwhile.
	p.mu.Lock()
	if p.cut || p.frozen.Load() {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = true
	cuts := p.cuts
	p.mu.Unlock()
	up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	p.mu.Lock()
	if err != nil || p.cuts != cuts || p.frozen.Load() { // (a Cut(true) since counts in cuts)
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
		if up != nil {
			up.Close()
		}
		return
	}
	p.conns[up] = true
	p.mu.Unlock()
	p.wg.Add(2)
	cc := &connCount{p: p}
	go p.pipe(c, up, true, cc.frames(cc.reply))
	go p.pipe(up, c, false, cc.frames(cc.request))
}

// Requests is how many requests the proxy's clients have sent, pings and
// session set-up left out.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// RoundTrips is how many of those requests a client sent while it awaited
// no reply on its connection: a client that waits for each reply before
// its next request makes one round trip per request, one that pipelines n
// requests makes as few as one for all.
func (p *Proxy) RoundTrips() int64 { return p.trips.Load() }

// connCount follows the ZooKeeper frames (a 4-byte length, then the body)
// of one client connection both ways. Every frame after the first (the
// session's connect request and its reply) starts with its xid; requests
// of the client's own have a positive one, and so do their replies (pings,
// auth and watch events have negative ones).
type connCount struct {
	p           *Proxy
	mu          sync.Mutex
	outstanding int
}

// frames returns a parser of one direction's byte stream that calls each
// with every frame's xid after the first frame.
func (cc *connCount) frames(each func(xid int32)) func([]byte) {
	var pending []byte
	first := true
	return func(b []byte) {
		pending = append(pending, b...)
		for len(pending) >= 4 {
			n := int(binary.BigEndian.Uint32(pending))
			if len(pending) < 4+n {
				return
			}
			if !first && n >= 4 {
				each(int32(binary.BigEndian.Uint32(pending[4:])))
			}
			first = false
			pending = pending[4+n:]
		}
	}
}

// request counts a request before it is forwarded, so that its reply cannot
// be counted first.
func (cc *connCount) request(xid int32) {
	if xid <= 0 {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.p.requests.Add(1)
	if cc.outstanding == 0 {
		cc.p.trips.Add(1)
	}
	cc.outstanding++
}

// reply counts a reply before it is forwarded: a client that sends its next
// request only on this reply then starts a new round trip.
func (cc *connCount) reply(xid int32) {
	if xid <= 0 {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.outstanding = max(cc.outstanding-1, 0)
}

// pipe copies src to dst, showing each chunk to count before forwarding it;
// toClient says the bytes are the server's.
func (p *Proxy) pipe(dst, src net.Conn, toClient bool, count func([]byte)) {
	defer p.wg.Done()
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	var tail []byte   // the end of what the client sent, for a marker across reads
	holdHere := false // this connection's requests are held (HoldAt)
	for {
		n, err := src.Read(buf)
		if !toClient && n > 0 && (p.marker.Load() != nil || p.hold.Load() != nil) {
			seen := append(tail, buf[:n]...)
			keep := 0 // of seen, for a marker across reads
			if m := p.marker.Load(); m != nil {
				// Muted before the request goes on: its reply cannot come
				// first. Frozen, the request does not go on.
				if bytes.Contains(seen, *m) {
					if p.freezes.Load() {
						p.frozen.Store(true)
					} else {
						p.mute.Store(true)
					}
					p.marker.Store(nil)
				} else {
					keep = len(*m)
				}
			}
			if h := p.hold.Load(); h != nil {
				if bytes.Contains(seen, *h) && p.hold.CompareAndSwap(h, nil) {
					holdHere = !p.holdAnswers.Load()
					p.heldOnce.Do(func() { close(p.held) })
				} else {
					keep = max(keep, len(*h))
				}
			}
			tail = append(tail[:0], seen[max(0, len(seen)-keep):]...)
		}
		if n > 0 && (holdHere || toClient && p.holdAnswers.Load() && isClosed(p.held)) {
			<-p.released
		}
		if n > 0 && !p.frozen.Load() && !(toClient && p.mute.Load()) {
			count(buf[:n])
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
func (p *Proxy) DropRepliesAfter(marker []byte) {
	p.freezes.Store(false)
	p.marker.Store(&marker)
}

// FreezeAt is Freeze from the moment a client sends marker, that request
// dropped with the rest: a request sent and never applied, whose client
// learns only from its connection's loss (Cut) that it failed.
func (p *Proxy) FreezeAt(marker []byte) {
	p.freezes.Store(true)
	p.marker.Store(&marker)
}

// HoldAt holds, from the moment a client sends marker, that request and
// what its connection sends after it, until Release: a request slow to
// arrive (its client waits for its answer).
func (p *Proxy) HoldAt(marker []byte) {
	p.holdAnswers.Store(false)
	p.hold.Store(&marker)
}

// HoldAnswersAfter passes on what clients send, but holds what the server
// sends back once a client sent marker, until Release: answers delayed,
// not lost.
func (p *Proxy) HoldAnswersAfter(marker []byte) {
	p.holdAnswers.Store(true)
	p.hold.Store(&marker)
}

// Held closes once a hold began (HoldAt, HoldAnswersAfter: its marker sent).
func (p *Proxy) Held() <-chan struct{} { return p.held }

// Release ends a hold: what was held goes on, and nothing more is.
func (p *Proxy) Release() { p.relOnce.Do(func() { close(p.released) }) }

// isClosed reports whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Frozen reports whether the proxy drops every byte (Freeze, or FreezeAt
// once its marker was sent).
func (p *Proxy) Frozen() bool { return p.frozen.Load() }

// Dropping reports whether replies are being dropped (DropReplies, or
// DropRepliesAfter once its marker was sent).
func (p *Proxy) Dropping() bool { return p.mute.Load() }

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
		p.cuts++
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}
