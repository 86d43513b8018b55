package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An answer that does not encode is a 500 saying why, not a 200 with an
// empty body (review135).
func TestWriteJSONAnswerThatDoesNotEncode(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, map[string]time.Time{"at": time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))}, nil)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"error":"encode the answer`) {
		t.Fatalf("status %d, body %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	writeJSON(rec, map[string]int{"n": 1}, nil)
	if rec.Code != http.StatusOK || rec.Body.String() != "{\"n\":1}\n" {
		t.Fatalf("status %d, body %q", rec.Code, rec.Body.String())
	}
}
