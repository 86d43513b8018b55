package store

import (
	"strings"
	"testing"
)

// MaxAllowPattern (4,096 bytes) was to bound what the leader spends
// compiling a registration's allow-list (CompileAllow, on every read of
// the registration), but dirMay spells a prefix up to 2^10 ways and
// classTails asks it at every '/' of the pattern: ten [./] classes and
// then "/a" to the cap cost ~2,000 dirMay calls of 1,024 spellings each,
// each spelling a string of up to 4 KB built, cleaned and matched. (One
// such pattern took 58 s to compile on this machine.) The test counts
// allocations, not time, on a quarter of the cap: a compile linear in the
// pattern's length allocates a few per byte, not the millions seen here.
func TestReview154CompileCostUnderCap(t *testing.T) {
	p := strings.Repeat("/a/[./]", 10)
	p += strings.Repeat("/a", (MaxAllowPattern/4-len(p))/2)
	if len(p) > MaxAllowPattern/4 {
		t.Fatalf("pattern of %d bytes", len(p))
	}
	allocs := testing.AllocsPerRun(1, func() { CompileAllow([]string{p}) })
	if limit := float64(100 * len(p)); allocs > limit {
		t.Errorf("CompileAllow of a %d-byte pattern (10 classes [./], then \"/a\"s) made %.0f allocations, more than %.0f (100 a byte): dirMay's 2^10 spellings at each of its '/'", len(p), allocs, limit)
	}
}
