package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// A daemon's address answers while it connects to ZooKeeper: the bound port
// took scrapes and answered none until a session came (review123). Then the
// daemon's own handlers answer.
func TestFrontAnswersWhileConnectingThenServes(t *testing.T) {
	f := NewFront("v9")
	hs := httptest.NewServer(f)
	defer hs.Close()
	get := func(path string) (int, string) { t.Helper(); return get(t, hs.URL+path) }
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "drover_zookeeper_connected 0") || !strings.Contains(body, `drover_build_info{version="v9"} 1`) {
		t.Errorf("/metrics while connecting: %d\n%s", code, body)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz while connecting: %d %q", code, body)
	}
	if code, body := get("/api/v1/cluster"); code != 503 || !strings.Contains(body, `"error"`) {
		t.Errorf("/api/v1/cluster while connecting: %d %q", code, body)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("/readyz while connecting: %d", code)
	}
	s := serve(t)
	f.Set(New(s.sched, s.st))
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "drover_zookeeper_connected 1") {
		t.Errorf("/metrics once connected: %d\n%s", code, body)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz once connected: %d", code)
	}
}
