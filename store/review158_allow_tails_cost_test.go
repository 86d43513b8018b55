package store

import (
	"errors"
	"strings"
	"testing"
)

// review158: a registration DecodeWorker accepted (200 --allow patterns of
// the 4,096-byte cap, 820 KB) cost the leader ~1.8 s for each Allows call
// on an ordinary relative program it refuses ("bin/run.sh"), and placement
// asks it for every task with such a program while that worker has a free
// slot: CompileAllow keeps, for relative programs, the tail of each
// pattern from every '/' (classTails with all), so a pattern of n bytes
// holds ~n/2 tails of ~n/2 bytes each, and path.Match reads each glob to
// its end even after a mismatch (to check its syntax). Now a list is at
// most MaxAllowBytes, and a glob is tried only on a string with as many
// '/' and bytes as it may match. The test counts the bytes of the globs
// tried, not time: a few bytes of glob for each byte of pattern.
func TestReview158RelativeAllowGlobsQuadratic(t *testing.T) {
	p := strings.Repeat("/?", MaxAllowPattern/2)
	var pats []string
	total := 0
	for i := 0; total+len(p) <= MaxAllowBytes; i++ {
		q := p[:len(p)-1] + string(rune('a'+i%26))
		pats = append(pats, q)
		total += len(q)
	}
	enc, err := Encode(&WorkerInfo{ID: "w1", Capacity: 4, Allow: pats})
	if err != nil {
		t.Fatal(err)
	}
	w, err := DecodeWorker(enc)
	if err != nil {
		t.Fatalf("the leader refuses the registration (%d bytes): %v", len(enc), err)
	}
	a := CompileAllow(w.Allow)
	for _, prog := range []string{"bin/run.sh", "run.sh", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z"} {
		if a.Allows(prog) {
			t.Fatalf("%s admitted", prog)
		}
		globs := a.c.relGlobs
		if !strings.Contains(prog, "/") {
			globs = a.c.baseGlobs
		}
		scanned, tried := 0, 0 // bytes of glob a refused Allows call matched against
		for _, g := range globs {
			if g.may(len(prog), strings.Count(prog, "/")) {
				scanned += len(g.pat)
				tried++
			}
		}
		if limit := 16 * total; scanned > limit {
			t.Errorf("one refused Allows(%q) matches %d globs of %d bytes in all against a registration of %d bytes of patterns (more than %d, 16 a byte): the leader spends seconds on each placement of such a task while the worker has room", prog, tried, scanned, total, limit)
		}
	}
	// Past MaxAllowBytes in all, the registration is malformed.
	enc, err = Encode(&WorkerInfo{ID: "w1", Capacity: 4, Allow: append(pats, p)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeWorker(enc); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a registration of %d bytes of allow patterns: %v, want malformed", total+len(p), err)
	}
}
