package drovertest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowTarget listens on loopback with an accept queue of one and fills it,
// so that the kernel drops the SYN of the next dial to it: that dial waits
// for its retransmission (a second later), as a dial to a server that is
// starting does. Accepting the filler lets the retransmission through.
func slowTarget(t *testing.T) (ln net.Listener, filler net.Conn) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "slow-target")
	ln, err = net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	filler, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	return ln, filler
}

// synSent reports whether a loopback socket waits in SYN_SENT on port.
func synSent(port int) bool {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return false
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		// sl local_address rem_address st ...; st 02 is SYN_SENT.
		if len(fields) > 3 && strings.HasSuffix(fields[2], want) && fields[3] == "02" {
			return true
		}
	}
	return false
}

// Cut(true) drops every connection: one the proxy accepted before the cut
// must not carry bytes after it. Since the proxy dials apart from its
// accept loop (and Cut no longer waits for that dial under the lock), a
// connection whose dial was under way across Cut(true) and Cut(false) is
// registered after them and forwards as if never cut.
func TestProxyCutDropsAConnectionWhoseDialIsUnderWay(t *testing.T) {
	target, _ := slowTarget(t)
	px := StartProxy(t, target.Addr().String())
	c, err := net.DialTimeout("tcp", px.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	port := target.Addr().(*net.TCPAddr).Port
	WaitFor(t, 5*time.Second, "the proxy's dial waiting on its SYN", func() bool { return synSent(port) })
	px.Cut(true)
	px.Cut(false)
	// Let the proxy's dial through: take the filler off the accept queue.
	if f, err := target.Accept(); err == nil {
		defer f.Close()
	}
	done := make(chan net.Conn, 1)
	go func() {
		up, err := target.Accept()
		if err != nil {
			close(done)
			return
		}
		done <- up
	}()
	var up net.Conn
	select {
	case u, ok := <-done:
		if !ok {
			return
		}
		up = u
	case <-time.After(5 * time.Second):
		return // the proxy's dial failed: nothing went through
	}
	defer up.Close()
	if _, err := c.Write([]byte("after the cut")); err != nil {
		return // the client's connection was closed, as it should be
	}
	_ = up.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 64)
	if n, _ := up.Read(buf); n > 0 {
		t.Fatalf("a connection accepted before Cut(true) forwarded %q after Cut(true), Cut(false)", buf[:n])
	}
}
