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

// heldAnswers counts the task listing's handlers writing their answer.
func heldAnswers() int {
	buf := make([]byte, 32<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "web.(*Server).tasks(") && strings.Contains(g, "net/http.(*response).Write(") {
			n++
		}
	}
	return n
}

// The API bounds its ZooKeeper reads in flight (maxReads, 8) but not the
// answers built from them: a read gives its token back before its answer
// is encoded and written, and the answer then waits on its client for up
// to the write timeout (apiReadTimeout + 20 s). So N clients that ask for
// a listing and read slowly make the scheduler hold N whole answers at
// once, each up to listMaxBytes (32 MB) of tasks plus its JSON (where each
// '<', '>' or '&' of a command takes six bytes): a hundred such requests
// in half a minute are gigabytes of the scheduler's heap, however many
// reads maxReads lets run. This test sends 3 x maxReads listings of a
// ~7.7 MB page (JSON) from clients that read nothing and finds more of them
// holding their answers at once than maxReads. (review180)
func TestReview180SlowListingsHoldAnswersBeyondTheReadBound(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	big := strings.Repeat("<", 40<<10) // 240 KB of JSON each, in the record and in the answer
	var tasks []*store.Task
	for range 32 {
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
	srv := New(s, st)
	// Each read is of 7.7 MB, eight at once: under -race on a loaded host
	// they outlasted the default 10 s bound, every answer was a quick 503,
	// and none was ever held to wait for.
	srv.readTimeout = time.Minute
	go func() { defer close(served); _ = srv.Serve(ctx, ln) }()

	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	clients := 3 * maxReads
	for range clients {
		conn, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		w := bufio.NewWriter(conn)
		_, _ = w.WriteString("GET /api/v1/tasks?limit=32 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// The answers are being written to clients that do not read. (Since
	// the fix each write gives up after answerWrite: not all maxReads need
	// be held at one moment.)
	drovertest.WaitFor(t, 60*time.Second, "the listings read", func() bool { return heldAnswers() >= 1 })
	if !drovertest.Eventually(20*time.Second, func() bool { return heldAnswers() > maxReads }) {
		return
	}
	drovertest.Eventually(10*time.Second, func() bool { return heldAnswers() == clients })
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Fatalf("%d listing answers (~7.7 MB of JSON each) held at once by clients that do not read, more than the %d reads the API lets run (heap in use %d MB): "+
		"the read bound does not bound the answers, which wait on their clients for the write timeout, so the scheduler's memory grows with the requests sent in it",
		heldAnswers(), maxReads, ms.HeapInuse>>20)
}
