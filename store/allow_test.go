package store

import (
	"path"
	"slices"
	"strings"
	"testing"
)

// mayAllowRef is MayAllow's rule as it stood before AllowList, pattern by
// pattern with path.Match, but for three mends: a pattern without '/'
// admits no program with one, and a class that can match '/' after a
// pattern's last literal '/' may end the worker's directory (classTails,
// review148); a relative program with a directory of its own, cleaned,
// must match what follows a '/' of the pattern where a clean directory may
// end ("/opt/b" admits no "a/b", which the worker resolves to DIR/a/b).
// AllowList must agree with it wherever no pattern has a class or an
// escape; the fuzz target and TestAllowListBrute check the rest against
// what the worker does.
func mayAllowRef(patterns []string, program string) bool {
	if len(patterns) == 0 || program == "" {
		return true
	}
	name, abs := path.Base(relPathRef(program)), path.IsAbs(program)
	for _, pat := range patterns {
		var ok bool
		switch {
		case !strings.Contains(pat, "/"):
			ok, _ = path.Match(pat, program)
			ok = ok && !strings.Contains(program, "/")
		case abs:
			ok, _ = path.Match(pat, path.Clean(program))
		case strings.Contains(relPathRef(program), "/"):
			rel := relPathRef(program)
			for i := range len(pat) {
				if pat[i] != '/' {
					continue
				}
				// The directory the pattern spells there, '*' and '?' an 'a'.
				dir := strings.NewReplacer("*", "a", "?", "a").Replace(pat[:i])
				if i > 0 && (dir == "/" || !path.IsAbs(dir) || path.Clean(dir) != dir) {
					continue
				}
				if m, _ := path.Match(pat[i+1:], rel); m {
					ok = true
				}
			}
		default:
			ok, _ = path.Match(path.Base(pat), name)
		}
		if ok {
			return true
		}
	}
	return false
}

// relPathRef is the path a relative program ends the worker's resolved
// path with: cleaned, without leading "../" elements.
func relPathRef(program string) string {
	rel := path.Clean(program)
	for strings.HasPrefix(rel, "../") {
		rel = rel[len("../"):]
	}
	return rel
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
	// A relative program with a directory ends the resolved path with
	// all of it, not only its name.
	{[]string{"/opt/jobs/x.sh", "/usr/*/true"}, []string{"jobs/x.sh", "opt/jobs/x.sh", "bin/x.sh", "x.sh", "./x.sh",
		"../jobs/x.sh", "a/../jobs/x.sh", "jobs/./x.sh", "bin/true", "usr/bin/true", "./true", "local/bin/true", "x/usr/bin/true",
		"true/x/..", "x.sh/..", "jobs/x.sh/y/.."}},
}

// Classes that can match '/' (review148): the leader must not refuse a
// name the worker would run, nor admit a path by a pattern without '/'.
func TestAllowListClassesThatMatchSlash(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		program  string
		want     bool
	}{
		{[]string{"/usr/bin[/]true"}, "true", true},
		{[]string{"/usr/bin[/]true"}, "/usr/bin/true", true},
		{[]string{"/usr/bin[/]true"}, "false", false},
		{[]string{"/opt/jobs[^.]*"}, "x", true},
		{[]string{"/opt/jobs[^.]*"}, "/opt/jobs/x", true},
		{[]string{"/opt/a[^.]b[/]c"}, "c", true},
		{[]string{"/opt/a[^.]b[/]c"}, "bc", false}, // the first class needs 'b' then a literal... only "c" or "b/c"-ended names
		{[]string{"/opt/[^/]*"}, "x", true},
		{[]string{`/opt/x\/y`}, "y", true},
		{[]string{"/opt/[a-z]*"}, "x", true},
		{[]string{"/opt/[a-z]x"}, "x", false},
		{[]string{"[^.]*"}, "/true", false},
		{[]string{"[^.]*"}, "true", true},
		{[]string{"bin[^.]x"}, "bin/x", false},
		{[]string{"bin[^.]x"}, "bin-x", true},
		{[]string{"*"}, "a/b", false},
		// A class right after '/' or a "." component matches '/' only in
		// an unclean path (review150); path.Base cut inside a class.
		{[]string{"/opt/jobs/[^.]*"}, ".x", false},
		{[]string{"/opt/jobs/[^.]*"}, "x", true},
		{[]string{"/a/.[/]x"}, "x", false},
		{[]string{"/a/b[/][/]x"}, "x", false}, // only /a/b//x (review151)
		{[]string{"/opt/jobs[/][^.]*"}, ".x", false},
		{[]string{"/opt/jobs[/][^.]*"}, "x", true},
		{[]string{"/opt/jobs/[.][/]x"}, "x", false},
		{[]string{`/opt/jobs/\.[/]x`}, "x", false},
		{[]string{"/opt/jobs/[.]/x"}, "x", false},
		{[]string{"/opt/jobs/[.a]/x"}, "x", true},
		{[]string{"/opt[/.]x"}, "x", true},
		{[]string{"/usr/bin[/]true"}, "]true", false},
		// An escaped '/' or '.' is no place path.Base may cut at, and a
		// relative program's directory must fit too (impl152).
		{[]string{`/a/\/x`}, "x", false},
		{[]string{`/..\/x`}, "x", false},
		{[]string{`/.\./x`}, "x", false},
		{[]string{`/a/\.x`}, ".x", true},
		{[]string{`/a\/x`}, "x", true},
		{[]string{"/x/b"}, "a/b", false},
		{[]string{"/a/b"}, "a/b", true},
		{[]string{"/a/*"}, "x/.x", false},
		{[]string{"/a/*"}, "a/.x", true},
		{[]string{"/a[/]b[./]x"}, "b/x", true},
		{[]string{"/a[/]b[./]x"}, "a/b/x", true},
		{[]string{"/a[/]b[./]x"}, "../b/x", true},
		{[]string{"/a[/]b[./]x"}, "c/b/x", false},
		// A malformed pattern matches nothing, by its last element too.
		{[]string{"/[/x"}, "x", false},
		{[]string{"[", "/x/["}, "a", false},
		{[]string{"[", "ok"}, "ok", true},
		{[]string{`[ab]c`, "/p/[!a]"}, "ac", true},
		{[]string{`[ab]c`, "/p/[!a]"}, "!", true},
		{[]string{`[ab]c`, "/p/[!a]"}, "b", false},
	} {
		if got := CompileAllow(c.patterns).Allows(c.program); got != c.want {
			t.Errorf("CompileAllow(%q).Allows(%q) = %v, want %v", c.patterns, c.program, got, c.want)
		}
	}
}

// AllowList answers as the pattern-by-pattern rule for every case without
// a class, and MayAllow with it.
func TestAllowListMatchesMayAllowRule(t *testing.T) {
	for _, tc := range allowCases {
		a := CompileAllow(tc.patterns)
		if a.Empty() != (len(tc.patterns) == 0) {
			t.Errorf("CompileAllow(%q).Empty() = %v", tc.patterns, a.Empty())
		}
		for _, p := range tc.programs {
			if slices.ContainsFunc(tc.patterns, func(p string) bool { return strings.ContainsAny(p, `[\`) }) {
				continue // classes, escapes: TestAllowListClassesThatMatchSlash, TestAllowListBrute
			}
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
		got := CompileAllow(patterns).Allows(program)
		// The reference spells a directory's '*' as "a", never as nothing:
		// "*/0/0" may end one at "/" (admitting "0/0") only by the latter.
		// Workers register absolute patterns with '/' alone (CheckConfig).
		relative := slices.ContainsFunc(patterns, func(p string) bool { return strings.Contains(p, "/") && !path.IsAbs(p) })
		if !strings.ContainsAny(list, `[\`) && !relative {
			if want := mayAllowRef(patterns, program); got != want {
				t.Errorf("CompileAllow(%q).Allows(%q) = %v, want %v", patterns, program, got, want)
			}
		}
		if len(patterns) == 0 || program == "" {
			if !got {
				t.Errorf("CompileAllow(%q).Allows(%q) = false, want true", patterns, program)
			}
			return
		}
		// What the worker admits: a name by a pattern without '/'; any
		// program, resolved to an absolute path, by a pattern with one.
		// The leader must not refuse what it admits, for any directory the
		// worker might resolve a relative program in.
		dirs := []string{"/usr/bin", "/", "/opt/jobs", "/opt/a.b", "/usr/local/bin"}
		for _, pat := range patterns {
			if strings.Contains(pat, "/") && (!path.IsAbs(pat) || path.Clean(pat) != pat) {
				continue // a worker refuses such a pattern (CheckConfig)
			}
			var admitted bool
			switch {
			case !strings.Contains(pat, "/"):
				admitted, _ = path.Match(pat, program)
				admitted = admitted && !strings.Contains(program, "/")
			case path.IsAbs(program):
				admitted, _ = path.Match(pat, path.Clean(program))
			case path.Base(program) == "." || path.Base(program) == ".." || path.Base(program) == "/":
				// Not a file's name: nothing the worker runs.
			default:
				// Resolved in the directory, the program's own path and
				// all (workerAdmits): also in the pattern's directory, as
				// many levels up as the program's cleaned path has.
				d := pat
				for range strings.Count(strings.TrimLeft(path.Clean(program), "./"), "/") + 1 {
					d = path.Dir(d)
				}
				for _, d := range append(dirs, d) {
					if workerAdmits(pat, program, d) {
						admitted = true
					}
				}
			}
			if admitted && !got {
				t.Errorf("CompileAllow(%q).Allows(%q) = false, but the worker admits it by %q", patterns, program, pat)
			}
		}
		// A name pattern never admits a path.
		if strings.Contains(program, "/") && !slices.ContainsFunc(patterns, func(p string) bool { return strings.Contains(p, "/") }) && got {
			t.Errorf("CompileAllow(%q).Allows(%q) = true: a name pattern admits a path", patterns, program)
		}
	})
}

// classEnd reads a class as path.Match does: the shortest span starting
// with '[' that path.Match takes for a well-formed pattern, over every
// string of up to six bytes of an alphabet of its syntax.
func TestClassEndAsPathMatch(t *testing.T) {
	slow := func(pat string) int {
		for j := 1; j < len(pat); j++ {
			if pat[j] != ']' {
				continue
			}
			if _, err := path.Match(pat[:j+1], ""); err == nil {
				return j + 1
			}
		}
		return -1
	}
	alphabet := []string{"[", "]", "^", "-", `\`, "a", "/", "é", "\xff"}
	var walk func(s string, n int)
	walk = func(s string, n int) {
		if got, want := classEnd("["+s, 0), slow("["+s); got != want {
			t.Fatalf("classEnd(%q) = %d, path.Match takes %d", "["+s, got, want)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			walk(s+c, n-1)
		}
	}
	walk("", 6)
}
