package store

import (
	"path"
	"strings"
	"testing"
)

// dirMay tries '.' and '/' for each class that matches only those two, but
// past ten such classes it answers yes without looking. "/a/[./]/a/[./]/..."
// with eleven of them matches no clean directory ('.' makes "/a/./a", '/'
// "/a///a"), so no worker admits "x" under it in any directory, yet the
// leader (AllowList) admits "x" and places it there, to fail with exit 126.
// The spellings of the prefix are exactly the 2^11 choices of '.' or '/'
// (it has no '*' or '?'): the test checks every one is unclean.
func TestReview154ElevenDotSlashClassesAdmitX(t *testing.T) {
	const n = 11
	prefix := strings.Repeat("/a/[./]", n)
	pat := prefix + "/x"
	if _, err := path.Match(pat, ""); err != nil || path.Clean(pat) != pat || len(pat) > MaxAllowPattern {
		t.Fatalf("pattern %q is not one a worker takes", pat)
	}
	for mask := range 1 << n {
		var b strings.Builder
		for k := range n {
			b.WriteString("/a/")
			b.WriteByte("./"[mask>>k&1])
		}
		d := b.String()
		if ok, _ := path.Match(prefix, d); !ok {
			t.Fatalf("prefix does not match its spelling %q", d)
		}
		if path.Clean(d) == d {
			t.Fatalf("spelling %q is clean: the worker may admit x", d)
		}
		if workerAdmits(pat, "x", d) {
			t.Fatalf("the worker admits x in %q", d)
		}
	}
	if CompileAllow([]string{pat}).Allows("x") {
		t.Errorf("CompileAllow([%q]).Allows(\"x\") = true, but the worker admits \"x\" in no clean directory (dirMay gives up with yes past 10 classes of '.' and '/')", pat)
	}
	// Ten are looked at: the same with ten is refused.
	pat10 := strings.Repeat("/a/[./]", 10) + "/x"
	if CompileAllow([]string{pat10}).Allows("x") {
		t.Errorf("with ten classes, too: CompileAllow([%q]).Allows(\"x\") = true", pat10)
	}
}
