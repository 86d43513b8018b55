package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
)

// review178: Server.reads "holds a token per API read of ZooKeeper in
// flight, including reads abandoned by their request, so requests cannot
// pile up on a stuck store" (TestReadBounded). a15db17 wraps ListTasks (and
// Schedule, SchedulesFirst/Page) in withCtx: at the read timeout they
// return ctx's error at once and leave their ZooKeeper reads running in the
// background, so the read's fn returns and its token goes back while the
// listing's reads are still stuck on the link. Over a silent link every
// /api/v1/tasks poll now starts one more listing (maxReads no longer bounds
// them), where the ninth used to be refused ("too many reads waiting").
func TestReview178APIListingsOnASilentLinkKeepTheirReadTokens(t *testing.T) {
	px := drovertest.StartProxy(t, drovertest.Addr())
	// A long session: the client does not give the frozen link up (two
	// thirds of it) while the test runs.
	st := drovertest.OpenStoreFor(t, px.Addr(), drovertest.NewRoot(), 30*time.Second)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(s, st)
	srv.readTimeout = 300 * time.Millisecond
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	get := func() (int, string) {
		r, err := http.Get(hs.URL + "/api/v1/tasks")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if code, body := get(); code != 200 {
		t.Fatalf("listing on a live link: %d %s", code, body)
	}
	px.Freeze()
	defer px.Cut(true)
	// Each listing's reads stick on the frozen link; each request gives up.
	for i := 0; i < maxReads; i++ {
		if code, body := get(); code != http.StatusServiceUnavailable {
			t.Fatalf("listing %d on a silent link: %d %s", i+1, code, body)
		}
	}
	code, body := get()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "too many reads waiting") {
		t.Errorf("with %d listings' reads stuck on a silent link, another listing was let start (maxReads bounds the reads in flight, abandoned ones included); it answered %d %s (read tokens held: %d)",
			maxReads, code, strings.TrimSpace(body), len(srv.reads))
	}
}
