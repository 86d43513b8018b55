package store

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// AllowList is a worker's allow-list compiled for the leader's repeated
// question, whether it may admit a program (see MayAllow for the rule).
// Literal patterns (no '*', '?', '[' or '\\') become set lookups; only the
// glob patterns are matched one by one. The zero AllowList, like an empty
// list, admits every program. An AllowList is not changed once compiled:
// copies share it, and any goroutine may ask it.
type AllowList struct{ c *allowSets }

// allowSets holds a compiled list by the four ways MayAllow matches a
// pattern: against a program given by name alone (patterns without '/'),
// against an absolute program's clean path (patterns with '/'), and, for a
// relative program, against its name (where those patterns may end the
// worker's directory: bases) or, when it has a directory of its own,
// against its relative path (where they may end a directory: rels).
type allowSets struct {
	patterns                  []string
	names, paths, bases, rels map[string]struct{}
	nameGlobs, pathGlobs      []glob
	baseGlobs, relGlobs       []glob
}

// glob is a glob pattern with what it needs of a string to match: as many
// '/' as its literal ones, up to as many more as its classes that match
// '/' ('*' and '?' never do), and a byte for each unit but '*'. A relative
// program is tried against a tail of each pattern from every place a
// directory may end, ~n/2 tails of up to n bytes for a pattern of n
// (classTails): a string's count of '/' and its length leave about one
// of them to match, not all (review158: 200 patterns "/?/?/.../?/a" made
// each refused "bin/run.sh" match 839 MB of globs, 1.8 s).
type glob struct {
	pat                  string
	slashes, slashRanges int
	minLen               int
}

// newGlob is pat with its bounds; false for a malformed pattern, which
// matches nothing.
func newGlob(pat string) (glob, bool) {
	g := glob{pat: pat}
	for i := 0; i < len(pat); {
		switch pat[i] {
		case '\\':
			if i+1 >= len(pat) {
				return glob{}, false
			}
			if pat[i+1] == '/' {
				g.slashes++
			}
			g.minLen++
			i += 2
		case '/':
			g.slashes++
			g.minLen++
			i++
		case '[':
			end := classEnd(pat, i)
			if end < 0 {
				return glob{}, false
			}
			if classKinds(pat[i:end])&kindSlash != 0 {
				g.slashRanges++
			}
			g.minLen++
			i = end
		case '*':
			i++
		default: // '?' or a byte of its own
			g.minLen++
			i++
		}
	}
	return g, true
}

// may says whether g may match a string of n bytes with slashes '/' in it.
func (g glob) may(n, slashes int) bool {
	return g.minLen <= n && g.slashes <= slashes && slashes <= g.slashes+g.slashRanges
}

// CompileAllow compiles the allow-list patterns; an empty list admits
// every program.
func CompileAllow(patterns []string) AllowList {
	if len(patterns) == 0 {
		return AllowList{}
	}
	c := &allowSets{patterns: slices.Clone(patterns)}
	add := func(set *map[string]struct{}, globs *[]glob, pat string) {
		if isGlob(pat) {
			if g, ok := newGlob(pat); ok {
				*globs = append(*globs, g)
			}
			return
		}
		if *set == nil {
			*set = map[string]struct{}{}
		}
		(*set)[pat] = struct{}{}
	}
	for _, pat := range patterns {
		if !strings.Contains(pat, "/") {
			add(&c.names, &c.nameGlobs, pat)
			continue
		}
		add(&c.paths, &c.pathGlobs, pat)
		if !strings.ContainsAny(pat, `[\`) {
			// The old rule, which a trailing '/' still takes ("/a/b/"
			// for "b"); with a class, path.Base may cut inside it, and
			// it takes an escaped '/' for a literal one, or misses an
			// escaped '.' ("/a/\/x" and "/..\/x" match only an
			// unclean path, so no "x").
			add(&c.bases, &c.baseGlobs, path.Base(pat))
		}
		for _, tail := range classTails(pat, false) {
			add(&c.bases, &c.baseGlobs, tail)
		}
		for _, tail := range classTails(pat, true) {
			add(&c.rels, &c.relGlobs, tail)
		}
	}
	return AllowList{c}
}

// classTails is where in pat the worker's resolved path may end its last
// directory: what follows a literal '/' or a character class that can
// match '/' (path.Match lets a class match '/', only '*' and '?' refuse
// it: "/usr/bin[/]true" admits /usr/bin/true, so "true" by name), from the
// last literal '/' on (a name has no '/'), where what comes before can be
// a clean directory (dirStates): the worker matches a clean path, so
// "/opt/jobs/[^.]*" admits no ".x", nor "/opt/jobs/[.][/]x" any "x"
// (they match only with "//" or "/./"). A relative program's name that a
// tail matches may be admitted. With all, the tails from every such '/' or
// class, not only from the last literal '/' on: a relative program with a
// directory of its own ("bin/x") that one matches may be admitted. Nothing
// for a malformed pattern, which matches nothing.
func classTails(pat string, all bool) []string {
	var tails []string
	st := dirStart
	take := func(end int, reset bool) {
		if reset && !all {
			tails = tails[:0]
		}
		if st.may() {
			tails = append(tails, pat[end:])
		}
	}
	for i := 0; i < len(pat); {
		switch c := pat[i]; c {
		case '\\':
			if i+1 >= len(pat) {
				return nil
			}
			if pat[i+1] == '/' { // an escaped '/' is a literal one
				take(i+2, true)
			}
			st = st.step(byteKind(pat[i+1]))
			i += 2
		case '/':
			take(i+1, true)
			st = st.step(kindSlash)
			i++
		case '[':
			end := classEnd(pat, i)
			if end < 0 {
				return nil
			}
			k := classKinds(pat[i:end])
			if k&kindSlash != 0 {
				take(end, false)
			}
			st = st.step(k)
			i = end
		case '*':
			st = st.star()
			i++
		case '?':
			st = st.step(kindDot | kindOther)
			i++
		default:
			st = st.step(byteKind(c))
			i++
		}
	}
	return tails
}

// Whether a path is clean depends only on where its '/' and '.' bytes
// stand: the pattern's units are read as the kinds of byte they may
// match, and dirStates follows what the last component of a path they may
// spell can be, all at once, in one pass.
const (
	kindSlash = 1 << iota
	kindDot
	kindOther // any byte but '/' and '.'
)

// byteKind is the kind of byte c.
func byteKind(c byte) int {
	switch c {
	case '/':
		return kindSlash
	case '.':
		return kindDot
	}
	return kindOther
}

// classKinds is the kinds of byte class (one well-formed "[...]")
// matches; a class of bytes matchesOther does not try is taken for other
// bytes (a name's).
func classKinds(class string) int {
	k := 0
	if ok, _ := path.Match(class, "/"); ok {
		k |= kindSlash
	}
	if ok, _ := path.Match(class, "."); ok {
		k |= kindDot
	}
	if matchesOther(class) || k == 0 {
		k |= kindOther
	}
	return k
}

// dirStates is a set of what a prefix of a path may be, as bits: nothing
// yet, or absolute with its last component empty (after a '/'), ".",
// "..", or a name. A path that is not absolute, or has "//", "/./" or
// "/../" in it, is no clean directory and is dropped.
type dirStates uint8

const (
	dirNone dirStates = 1 << iota
	dirEmpty
	dirDot
	dirDotDot
	dirName

	dirStart = dirNone
)

// may says whether the prefix may spell a clean absolute directory other
// than "/" (a component that is a name last), or is empty (the root's
// '/' comes next).
func (s dirStates) may() bool { return s&(dirNone|dirName) != 0 }

// step is s after one byte of the kinds k.
func (s dirStates) step(k int) dirStates {
	var out dirStates
	for b := dirNone; b <= dirName; b <<= 1 {
		if s&b == 0 {
			continue
		}
		if k&kindSlash != 0 && (b == dirNone || b == dirName) {
			out |= dirEmpty // the root, or a name's end
		}
		if k&kindDot != 0 {
			switch b {
			case dirEmpty:
				out |= dirDot
			case dirDot:
				out |= dirDotDot
			case dirDotDot, dirName:
				out |= dirName // "..." is a name
			}
		}
		if k&kindOther != 0 && b != dirNone {
			out |= dirName
		}
	}
	return out
}

// star is s after what a '*' may spell: no byte, or any run of bytes but
// '/'.
func (s dirStates) star() dirStates {
	for {
		next := s | s.step(kindDot|kindOther)
		if next == s {
			return s
		}
		s = next
	}
}

// otherBytes are what matchesOther tries: printable ASCII but '.' and
// '/', a space, and a few runes of other scripts.
var otherBytes = func() []string {
	out := []string{" ", "é", "ü", "ß", "€", "ж", "漢"}
	for c := byte(0x21); c < 0x7f; c++ {
		if c != '.' && c != '/' {
			out = append(out, string(c))
		}
	}
	return out
}()

// matchesOther says whether class (one well-formed "[...]") matches a
// byte (or rune) of otherBytes: one that is neither '.' nor '/'.
func matchesOther(class string) bool {
	return slices.ContainsFunc(otherBytes, func(c string) bool {
		ok, _ := path.Match(class, c)
		return ok
	})
}

// classEnd is the end (exclusive) of the character class starting at
// pat[i], read as path.Match reads one: an optional '^', then ranges (a
// byte or rune, escaped with '\\' or not, then maybe '-' and another),
// at least one, up to ']'; -1 if it is not well formed. One pass: trying
// each ']' with path.Match took time quadratic in a pattern's length.
func classEnd(pat string, i int) int {
	j := i + 1
	if j < len(pat) && pat[j] == '^' {
		j++
	}
	// esc reads one range end at j: false where path.Match's getEsc fails.
	esc := func() bool {
		if j >= len(pat) || pat[j] == '-' || pat[j] == ']' {
			return false
		}
		if pat[j] == '\\' {
			j++
			if j >= len(pat) {
				return false
			}
		}
		r, n := utf8.DecodeRuneInString(pat[j:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		j += n
		return j < len(pat)
	}
	for ranges := 0; ; ranges++ {
		if j < len(pat) && pat[j] == ']' && ranges > 0 {
			return j + 1
		}
		if !esc() {
			return -1
		}
		if pat[j] == '-' {
			j++
			if !esc() {
				return -1
			}
		}
	}
}

// isGlob says whether pat has any of path.Match's special characters: a
// pattern without them matches exactly the string it is (and is never
// malformed).
func isGlob(pat string) bool { return strings.ContainsAny(pat, `*?[\`) }

// Allows says whether the list may admit program (a Task.Program): the
// answer of MayAllow for the patterns it was compiled from.
func (a AllowList) Allows(program string) bool {
	c := a.c
	if c == nil || program == "" {
		return true
	}
	// A name matches no path: a negated class would let one ("[^.]*"
	// matches "/true"), and the worker never admits a program with '/' by
	// a pattern without.
	if !strings.Contains(program, "/") && matchesAny(c.names, c.nameGlobs, program) {
		return true
	}
	if c.paths == nil && c.pathGlobs == nil { // no pattern with '/'
		return false
	}
	if path.IsAbs(program) {
		return matchesAny(c.paths, c.pathGlobs, path.Clean(program))
	}
	// The worker resolves a relative program in a directory the leader
	// does not know, cleaned: "x/../a/b" and "../a/b" end in "/a/b"
	// there, which a tail must match, not "b" alone ("/opt/b" admits no
	// "a/b"); "./a", "b/../a" and "a/b/.." end in "/a".
	rel := path.Clean(program)
	for strings.HasPrefix(rel, "../") {
		rel = rel[len("../"):]
	}
	if strings.Contains(rel, "/") {
		return matchesAny(c.rels, c.relGlobs, rel)
	}
	return matchesAny(c.bases, c.baseGlobs, rel) // "a/b/.." runs DIR/a
}

// matchesAny says whether s is in set or matches one of globs.
func matchesAny(set map[string]struct{}, globs []glob, s string) bool {
	if _, ok := set[s]; ok {
		return true
	}
	n, slashes := len(s), strings.Count(s, "/")
	for _, g := range globs {
		if !g.may(n, slashes) {
			continue
		}
		if ok, _ := path.Match(g.pat, s); ok {
			return true
		}
	}
	return false
}

// Empty says whether the list is empty: it admits every program.
func (a AllowList) Empty() bool { return a.c == nil }

// Patterns is the list as compiled (not to be changed).
func (a AllowList) Patterns() []string {
	if a.c == nil {
		return nil
	}
	return a.c.patterns
}

// String is the patterns, as fmt shows a []string.
func (a AllowList) String() string { return fmt.Sprint(a.Patterns()) }
