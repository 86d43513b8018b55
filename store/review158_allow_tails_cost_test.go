package store

import (
	"strings"
	"testing"
)

// A registration DecodeWorker accepts (200 --allow patterns of the
// 4,096-byte cap, 820 KB) costs the leader ~1.8 s for each Allows call on
// an ordinary relative program it refuses ("bin/run.sh"), and placement
// asks it for every task with such a program while that worker has a free
// slot: CompileAllow keeps, for relative programs, the tail of each
// pattern from every '/' (classTails with all), so a pattern of n bytes
// holds ~n/2 tails of ~n/2 bytes each, and path.Match reads each glob to
// its end even after a mismatch (to check its syntax). MaxAllowPattern
// bounds one pattern's compile, not this: the globs a refused program is
// matched against grow with the square of a pattern's length. The test
// counts the bytes of those globs, not time: matching linear in the
// registration reads a few bytes of glob for each byte of pattern.
func TestReview158RelativeAllowGlobsQuadratic(t *testing.T) {
	p := strings.Repeat("/?", MaxAllowPattern/2)
	var pats []string
	total := 0
	for i := 0; i < 200; i++ {
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
	if a.Allows("bin/run.sh") {
		t.Fatal("bin/run.sh admitted")
	}
	scanned := 0 // bytes of glob that refused Allows call matched against
	for _, g := range a.c.relGlobs {
		scanned += len(g)
	}
	if limit := 16 * total; scanned > limit {
		t.Errorf("one refused Allows(\"bin/run.sh\") matches %d globs of %d bytes in all against a registration of %d bytes of patterns (more than %d, 16 a byte): the leader spends seconds on each placement of such a task while the worker has room", len(a.c.relGlobs), scanned, total, limit)
	}
}
