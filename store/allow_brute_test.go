package store

import (
	"path"
	"strings"
	"testing"
)

// workerAdmits is the worker's allow-list check (worker/exec.go
// policy.allowed) for one pattern: program as a task gives it, run from
// dir (the PATH directory a name was found in, or the working directory a
// relative path is resolved in; ignored for an absolute program). The
// worker cleans the path it resolves (filepath.Abs); a pattern without '/'
// matches the last element of a program given by name alone, a pattern
// with '/' the whole path. worker/allow_model_test.go holds a copy and
// checks it against policy.allowed: keep the two the same.
func workerAdmits(pat, program, dir string) bool {
	resolved := program
	if !path.IsAbs(program) {
		resolved = dir + "/" + program
	}
	abs := path.Clean(resolved)
	if !strings.Contains(pat, "/") {
		ok, _ := path.Match(pat, path.Base(abs))
		return ok && !strings.Contains(program, "/")
	}
	ok, _ := path.Match(pat, abs)
	return ok
}

// bruteTokens are what the brute-force patterns are made of: literal
// bytes, the classes and escapes that spell '/' or '.' (the spellings
// review148, 150 and 151 found), and the two wildcards.
var bruteTokens = []string{"/", "a", "b", ".", "[/]", "[^a]", "[.]", "[a/]", "[./]", "*", "?", `\.`, `\/`, "[^/]", "[!.]"}

// bruteAlphabet is every byte a path in the universe is made of: those the
// tokens and programs name ('!' by "[!.]", which is '!' or '.': path.Match
// negates with '^' alone) and 'x'. Any other byte in a directory can be
// swapped for 'x' (the tokens that match it, '?', '*' and the negated
// classes, match 'x' too, and the path stays clean): the universe loses no
// witness by leaving them out.
const bruteAlphabet = "abx./!"

// bruteStarRuns are what a '*' spells: up to two bytes. A longer run lies
// in a directory's component (a program's components here are at most two
// bytes), where "a" does as well and keeps the path clean: no witness
// needs more.
var bruteStarRuns = func() []string {
	runs := []string{""}
	for _, c := range "abx." {
		runs = append(runs, string(c))
		for _, d := range "abx." {
			runs = append(runs, string(c)+string(d))
		}
	}
	return runs
}()

// bruteRelative are the programs given by name alone or by relative path:
// the worker resolves them in a directory the leader does not know.
var bruteRelative = []string{"a", "b", "x", ".x", "ab", "a.", "a/b", "./a", "../b", "x/.x", "a/b/x", "a/./b", "b/../a", "a/", "a/b/..", "x/a/b/.."}

// bruteAbsolute are absolute programs, clean and not: the worker matches
// them cleaned, in every directory.
var bruteAbsolute = []string{"/", "/a", "/b", "/.x", "/ab", "/a.", "/a/b", "/a/.x", "/a/b/x", "/a/ab", "/x/a/b", "/a.b",
	"/a//b", "/a/./b", "/x/../a/b", "/a/b/", "//a", "/.", "/a/.", "/.a/b", "/../a"}

// brutePatterns is every absolute, clean, well-formed pattern of a '/' and
// up to four more tokens.
func brutePatterns() []string {
	var pats []string
	var walk func(p string, n int)
	walk = func(p string, n int) {
		if _, err := path.Match(p, ""); err == nil && path.Clean(p) == p {
			pats = append(pats, p)
		}
		if n == 0 {
			return
		}
		for _, t := range bruteTokens {
			walk(p+t, n-1)
		}
	}
	walk("/", 4)
	return pats
}

// tokenize splits a brute-force pattern back into its tokens.
func tokenize(pat string) []string {
	var toks []string
	for i := 0; i < len(pat); {
		end := i + 1
		switch pat[i] {
		case '\\':
			end = i + 2
		case '[':
			end = strings.IndexByte(pat[i:], ']') + i + 1
		}
		toks = append(toks, pat[i:end])
		i = end
	}
	return toks
}

// tokenSpells is what one token may spell in the universe: the bytes of
// bruteAlphabet it matches, or a '*”s runs.
func tokenSpells(tok string) []string {
	if tok == "*" {
		return bruteStarRuns
	}
	var out []string
	for _, c := range bruteAlphabet {
		if ok, _ := path.Match(tok, string(c)); ok {
			out = append(out, string(c))
		}
	}
	return out
}

// spellClean calls f with every clean absolute path the tokens spell (each
// token what tokenSpells gives), pruning at the first unclean component,
// until f returns false.
func spellClean(toks [][]string, f func(s string) bool) {
	buf := make([]byte, 0, 16)
	more := true
	var walk func(i int)
	walk = func(i int) {
		if i == len(toks) {
			if len(buf) == 1 || lastComponentOK(buf) {
				more = f(string(buf))
			}
			return
		}
		for _, sp := range toks[i] {
			n := len(buf)
			ok := true
			for j := 0; j < len(sp) && ok; j++ {
				if sp[j] == '/' && len(buf) > 0 && !lastComponentOK(buf) {
					ok = false
				}
				buf = append(buf, sp[j])
			}
			if ok {
				walk(i + 1)
			}
			buf = buf[:n]
			if !more {
				return
			}
		}
	}
	walk(0)
}

// lastComponentOK says whether buf's last component (after its last '/')
// may stand in a clean path: not "", "." or "..".
func lastComponentOK(buf []byte) bool {
	i := len(buf) - 1
	for i >= 0 && buf[i] != '/' {
		i--
	}
	switch n := len(buf) - i - 1; {
	case n == 0:
		return false
	case n <= 2:
		return buf[i+1] != '.' || n == 2 && buf[i+2] != '.'
	}
	return true
}

// bruteProgram is a relative program as the worker resolves it: rel,
// its path cleaned and without leading "../" elements (ups of them), is
// what the resolved path ends in.
type bruteProgram struct {
	program, rel string
	ups          int
}

func bruteProgramOf(program string) bruteProgram {
	rel, ups := path.Clean(program), 0
	for strings.HasPrefix(rel, "../") {
		rel, ups = rel[3:], ups+1
	}
	return bruteProgram{program, "/" + rel, ups}
}

// witnessDir is a directory the worker may resolve p in so that it runs s
// (a clean absolute path): false when none does.
func (p bruteProgram) witnessDir(s string) (string, bool) {
	if p.rel == "/." || p.rel == "/.." || !strings.HasSuffix(s, p.rel) {
		return "", false
	}
	dir := s[:len(s)-len(p.rel)]
	if dir == "" {
		dir = "/"
	}
	for range p.ups {
		dir = path.Join(dir, "a") // dir/a/.. is dir
	}
	return dir, true
}

// The leader's AllowList and the worker agree on every pattern of up to
// five tokens (brutePatterns): for a program given by name or relative
// path, Allows says yes exactly when some clean absolute directory exists
// (within the universe, which holds every witness: bruteAlphabet,
// bruteStarRuns) where the worker admits it, so it never refuses what a
// worker may run (a) and admits nothing no worker runs (b); for an
// absolute program it answers as the worker. (Run once wider, not kept
// for its time: '*' runs of three bytes with three-byte names such as
// "..x"; six tokens of "/", "a", ".", "[/]", "[^a]", "[./]", "*", `\.`,
// `\/`, "[!.]"; seven of "/", "a", ".", "[/]", "[./]", "*", `\/`, "[^a]":
// no disagreement.)
func TestAllowListBrute(t *testing.T) {
	pats := brutePatterns()
	if len(pats) < 10000 {
		t.Fatalf("only %d patterns", len(pats))
	}
	var progs []bruteProgram
	for _, p := range bruteRelative {
		progs = append(progs, bruteProgramOf(p))
	}
	spells := map[string][]string{}
	for _, tok := range bruteTokens {
		spells[tok] = tokenSpells(tok)
	}
	fails := 0
	fail := func(format string, args ...any) {
		if fails++; fails <= 30 {
			t.Errorf(format, args...)
		}
	}
	var candidates, witnesses int
	for _, pat := range pats {
		var toks [][]string
		for _, tok := range tokenize(pat) {
			toks = append(toks, spells[tok])
		}
		found := make(map[string]string, len(progs))
		spellClean(toks, func(s string) bool {
			candidates++
			for _, p := range progs {
				prog := p.program
				if _, done := found[prog]; done {
					continue
				}
				dir, ok := p.witnessDir(s)
				if !ok {
					continue
				}
				if !workerAdmits(pat, prog, dir) {
					// path.Match does not backtrack into an earlier
					// chunk ("/.*[a/]*" does not match "/.a/a"): what the
					// tokens spell is only a candidate.
					continue
				}
				found[prog] = dir
				witnesses++
			}
			return len(found) < len(progs)
		})
		a := CompileAllow([]string{pat})
		for _, prog := range bruteRelative {
			dir, admitted := found[prog]
			switch got := a.Allows(prog); {
			case admitted && !got:
				fail("CompileAllow([%q]).Allows(%q) = false, but the worker admits it in %s", pat, prog, dir)
			case !admitted && got:
				fail("CompileAllow([%q]).Allows(%q) = true, but the worker admits it in no directory", pat, prog)
			}
		}
		for _, prog := range bruteAbsolute {
			if want, got := workerAdmits(pat, prog, ""), a.Allows(prog); got != want {
				fail("CompileAllow([%q]).Allows(%q) = %v, the worker says %v", pat, prog, got, want)
			}
		}
	}
	if fails > 30 {
		t.Errorf("... %d disagreements in all", fails)
	}
	t.Logf("%d patterns, %d clean paths spelt, %d witnesses", len(pats), candidates, witnesses)
}
