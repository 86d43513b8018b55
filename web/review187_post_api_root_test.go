package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// The API answers every error in JSON: an unknown path under /api (and
// /api itself) is a JSON 404, a method other than GET under /api/ a JSON
// 405 (apiReadOnly). apiReadOnly looks only under "/api/": a POST to /api
// itself — a path the API now routes ("GET /api") — gets the mux's text
// page "Method Not Allowed", not the JSON error every other API answer has.
func TestReview187PostToAPIRootAnswersText(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	hs := apiServer(t, st)
	for _, p := range []string{"/api/v1/tasks", "/api"} {
		r, err := http.Post(hs.URL+p, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		t.Logf("POST %s: %d %s %q", p, r.StatusCode, r.Header.Get("Content-Type"), strings.TrimSpace(string(b)))
		if r.StatusCode != http.StatusMethodNotAllowed || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !strings.Contains(string(b), `"error"`) {
			t.Errorf("POST %s: %d, %s, %q; want a 405 with a JSON error, as under /api/", p, r.StatusCode, r.Header.Get("Content-Type"), strings.TrimSpace(string(b)))
		}
	}
}
