package store

import (
	"path"
	"strings"
	"testing"
)

// mayAllowRef is MayAllow's rule as it stood before AllowList, pattern by
// pattern with path.Match: the reference AllowList must agree with.
func mayAllowRef(patterns []string, program string) bool {
	if len(patterns) == 0 || program == "" {
		return true
	}
	name, abs := path.Base(program), path.IsAbs(program)
	for _, pat := range patterns {
		var ok bool
		switch {
		case !strings.Contains(pat, "/"):
			ok, _ = path.Match(pat, program)
		case abs:
			ok, _ = path.Match(pat, path.Clean(program))
		default:
			ok, _ = path.Match(path.Base(pat), name)
		}
		if ok {
			return true
		}
	}
	return false
}

// allowCases are allow-lists and programs where a compiled list could
// most easily part from the pattern-by-pattern rule: literal and glob
// patterns mixed, unclean paths on either side, trailing slashes, escapes,
// malformed patterns, empty patterns and programs.
var allowCases = []struct {
	patterns []string
	programs []string
}{
	{nil, []string{"", "x", "/x", "./x"}},
	{[]string{}, []string{"", "x"}},
	{[]string{""}, []string{"", "x", "/", "."}},
	{[]string{"/usr/bin/true"}, []string{"", "true", "/usr/bin/true", "/usr/bin/../bin/true", "/usr//bin/true",
		"/usr/bin/true/", "/bin/true", "./true", "bin/true", "../true", "true/", "echo"}},
	// An unclean literal pattern: its path never equals a clean program,
	// its last element still matches a relative program's.
	{[]string{"/usr/bin/../bin/true", "/opt//x", "/opt/y/"}, []string{"/usr/bin/true", "/usr/bin/../bin/true",
		"true", "/opt/x", "/opt//x", "x", "/opt/y", "y", "./y/"}},
	{[]string{"/", "//", "/."}, []string{"/", "//", "/.", ".", "x", "/x", "./", "a/"}},
	{[]string{"sh", "env", "./deploy.sh", "deploy.sh"}, []string{"/bin/sh", "sh", "env", "./sh", "./deploy.sh",
		"deploy.sh", "/deploy.sh", "x/deploy.sh", "bash"}},
	{[]string{"*.sh", "/opt/jobs/*", "/opt/*/run"}, []string{"./deploy.sh", "deploy.sh", "deploy.py", "/opt/jobs/a",
		"/opt/jobs/a/b", "/opt/jobs/", "/opt/x/run", "/opt/x/y/run", "run", "a", "/opt/jobs/../jobs/a", ".sh"}},
	// Escapes and classes are globs, a literal look-alike is not.
	{[]string{`a\*b`, `[ab]c`, `x?`, `/p/\?`, `/p/[!a]`, "]", "a-b", "^"}, []string{"a*b", `a\*b`, "axb", "ac", "bc",
		"cc", "x1", "x", "x12", "/p/?", "/p/a", "/p/b", "?", "b", "]", "a-b", "^"}},
	// Malformed patterns match nothing, however early they fail; one
	// good pattern beside them still admits.
	{[]string{"[", "a[", "/x/[", `\`, "[a-", "*[", "/[/x"}, []string{"[", "a[", "a", "/x/[", "/x/a", `\`, "x", "/[/x",
		"*["}},
	{[]string{"[", "/x/["}, []string{"a"}},
	{[]string{"[", "ok"}, []string{"ok", "[", "no"}},
	{[]string{"*", "/*"}, []string{"a", "/a", "/a/b", "a/b", "./a", ".", "/"}},
	{[]string{"/opt/jobs/*", "/opt/jobs/x"}, []string{"x", "y", "/opt/jobs/x", "/opt/jobs/y", "/opt/jobsx"}},
	{[]string{"héllo", "/ü/*", "/ü/ö"}, []string{"héllo", "hello", "/ü/a", "/ü/ö", "ö", "a"}},
}

// AllowList answers as the pattern-by-pattern rule for every case, and
// MayAllow with it.
func TestAllowListMatchesMayAllowRule(t *testing.T) {
	for _, tc := range allowCases {
		a := CompileAllow(tc.patterns)
		if a.Empty() != (len(tc.patterns) == 0) {
			t.Errorf("CompileAllow(%q).Empty() = %v", tc.patterns, a.Empty())
		}
		for _, p := range tc.programs {
			want := mayAllowRef(tc.patterns, p)
			if got := a.Allows(p); got != want {
				t.Errorf("CompileAllow(%q).Allows(%q) = %v, want %v", tc.patterns, p, got, want)
			}
			if got := MayAllow(tc.patterns, p); got != want {
				t.Errorf("MayAllow(%q, %q) = %v, want %v", tc.patterns, p, got, want)
			}
		}
	}
	// The zero AllowList is the empty list.
	if !(AllowList{}).Allows("x") || !(AllowList{}).Empty() || (AllowList{}).Patterns() != nil {
		t.Error("the zero AllowList is not the empty list")
	}
}

// A compiled list keeps its own copy of the patterns.
func TestAllowListKeepsPatterns(t *testing.T) {
	pats := []string{"a", "/b/c*"}
	a := CompileAllow(pats)
	pats[0] = "z"
	if got := a.Patterns(); got[0] != "a" || got[1] != "/b/c*" || a.String() != "[a /b/c*]" {
		t.Errorf("Patterns() = %q, String() = %s after the caller's slice changed", got, a)
	}
	if !a.Allows("a") || a.Allows("z") {
		t.Error("the compiled list follows the caller's slice")
	}
}

// FuzzAllowList compares AllowList with the pattern-by-pattern rule on
// lists of up to three patterns (split from one string at '\n').
func FuzzAllowList(f *testing.F) {
	for _, tc := range allowCases {
		for _, p := range tc.programs {
			f.Add(strings.Join(tc.patterns, "\n"), p)
		}
	}
	f.Fuzz(func(t *testing.T, list, program string) {
		var patterns []string
		if list != "" {
			patterns = strings.SplitN(list, "\n", 3)
		}
		want := mayAllowRef(patterns, program)
		if got := CompileAllow(patterns).Allows(program); got != want {
			t.Errorf("CompileAllow(%q).Allows(%q) = %v, want %v", patterns, program, got, want)
		}
	})
}
