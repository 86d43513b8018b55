package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// README: an unknown task or path under /api/v1/ "is a 404 with a JSON
// `error`, as every error is". Two errors of the API are not: a method
// other than GET or HEAD (POST /api/v1/tasks, which a client trying to
// submit over HTTP sends first) gets the mux's text/plain "Method Not
// Allowed", and a foreign Host on loopback (loopbackHostsOnly) a text/plain
// 421. A client that decodes every error answer's JSON, as the API's
// other errors allow, fails on these with a decode error instead of the
// reason. (Found by review110.)
func TestAPIErrorsThatAreNotJSON(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	hs := apiServer(t, st)
	check := func(what string, req *http.Request, want int) {
		t.Helper()
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		var e struct{ Error string }
		if r.StatusCode != want || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(b, &e) != nil || e.Error == "" {
			t.Errorf("%s: %d %q (%s), want %d with a JSON error", what, r.StatusCode, b, r.Header.Get("Content-Type"), want)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodDelete} {
		req, _ := http.NewRequest(m, hs.URL+"/api/v1/tasks", strings.NewReader("{}"))
		check(m+" /api/v1/tasks", req, http.StatusMethodNotAllowed)
	}
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/api/v1/cluster", nil)
	req.Host = "rebound.example"
	check("GET /api/v1/cluster with a foreign Host", req, http.StatusMisdirectedRequest)
}
