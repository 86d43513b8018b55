package web

import (
	"bufio"
	"context"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
)

// stuckHandlers counts the goroutines running the task listing's handler.
func stuckHandlers() int {
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "web.(*Server).tasks(")
}

// The API's http.Server (Serve) has a ReadHeaderTimeout and nothing else: no
// WriteTimeout, no IdleTimeout. A client that asks for a listing and reads
// nothing holds the handler, and the whole answer it is encoding (every
// task of the page: up to 1,000 records' commands, env names, history),
// for as long as it keeps the connection open: for ever. maxReads bounds
// the ZooKeeper reads in flight, not these: each read ends, and its answer
// then waits on the client. A few hundred such connections (a script that
// opens and forgets them, a misbehaving proxy) hold gigabytes of the
// scheduler's memory; nothing ever frees them. This test makes 4 clients
// that never read a 10 MB listing and waits 60 s, six times the API's own
// read bound (apiReadTimeout), for the server to let go of them.
// (Found by review110.)
func TestAPIClientThatNeverReadsHoldsItsAnswerForever(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	// 48 queued tasks with a 200 KB argument each: a page of them is some
	// 10 MB of JSON, more than the loopback socket buffers take.
	big := strings.Repeat("x", 200<<10)
	var tasks []*store.Task
	for range 48 {
		tasks = append(tasks, &store.Task{ID: ulid.Make().String(), Cmd: []string{"echo", big}, SubmittedAt: time.Now().UTC()})
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	t.Cleanup(func() { cancel(); <-served })
	go func() { defer close(served); _ = New(s, st).Serve(ctx, ln) }()

	// Clients with a small receive window that send a request and read
	// nothing more.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	const clients = 4
	for range clients {
		conn, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		w := bufio.NewWriter(conn)
		_, _ = w.WriteString("GET /api/v1/tasks?limit=48 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	drovertest.WaitFor(t, 30*time.Second, "the listings under way", func() bool { return stuckHandlers() == clients })
	if drovertest.Eventually(60*time.Second, func() bool { return stuckHandlers() == 0 }) {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Fatalf("%d task listings still held, each with its ~10 MB answer, 60 s after their clients stopped reading (heap in use %d MB): "+
		"the server has no write or idle timeout, and holds them for as long as the clients keep their connections",
		stuckHandlers(), ms.HeapInuse>>20)
}
