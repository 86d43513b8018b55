package store

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// AllowList is a worker's allow-list compiled for the leader's repeated
// question, whether it may admit a program (see MayAllow for the rule).
// Literal patterns (no '*', '?', '[' or '\\') become set lookups; only the
// glob patterns are matched one by one. The zero AllowList, like an empty
// list, admits every program. An AllowList is not changed once compiled:
// copies share it, and any goroutine may ask it.
type AllowList struct{ c *allowSets }

// allowSets holds a compiled list by the three ways MayAllow matches a
// pattern: against a program given by name alone (patterns without '/'),
// against an absolute program's clean path (patterns with '/'), and, for a
// relative program, against its last element (those patterns' last
// elements).
type allowSets struct {
	patterns             []string
	names, paths, bases  map[string]struct{}
	nameGlobs, pathGlobs []string
	baseGlobs            []string
}

// CompileAllow compiles the allow-list patterns; an empty list admits
// every program.
func CompileAllow(patterns []string) AllowList {
	if len(patterns) == 0 {
		return AllowList{}
	}
	c := &allowSets{patterns: slices.Clone(patterns)}
	add := func(set *map[string]struct{}, globs *[]string, pat string) {
		if isGlob(pat) {
			*globs = append(*globs, pat)
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
		if !strings.Contains(pat, "[") {
			// The old rule, which a trailing '/' still takes ("/a/b/"
			// for "b"); with a class, path.Base may cut inside it.
			add(&c.bases, &c.baseGlobs, path.Base(pat))
		}
		for _, tail := range classTails(pat) {
			add(&c.bases, &c.baseGlobs, tail)
		}
	}
	return AllowList{c}
}

// classTails is where in pat the worker's resolved path may end its last
// directory: what follows pat's last literal '/' (path.Base cuts inside a
// class that holds one: "/opt/[^/]*"), and what follows each character
// class after it that can match '/' (path.Match lets a class match '/',
// only '*' and '?' refuse it: "/usr/bin[/]true" admits /usr/bin/true, so
// "true" by name; one first may be the root's). Not a class right after a
// '/', nor after a "." or ".." component: it could match '/' only in a
// path with "//", "/./" or "/../", and the worker matches a clean one
// ("/opt/jobs/[^.]*" admits no ".x"). A relative program's name that a
// tail matches may be admitted. Nothing for a malformed pattern, which
// matches nothing.
func classTails(pat string) []string {
	var tails []string
	comp := 0 // where the component after the last literal '/' starts
	for i := 0; i < len(pat); {
		switch pat[i] {
		case '\\':
			if i+1 >= len(pat) {
				return nil
			}
			i += 2
			if pat[i-1] == '/' { // an escaped '/' is a literal one
				tails, comp = append(tails[:0], pat[i:]), i
			}
		case '/':
			i++
			tails, comp = append(tails[:0], pat[i:]), i // a name has no '/': only what follows counts
		case '[':
			end := classEnd(pat, i)
			if end < 0 {
				return nil
			}
			before := pat[comp:i]
			if ok, _ := path.Match(pat[i:end], "/"); ok && (before != "" || i == 0) && before != "." && before != ".." {
				tails = append(tails, pat[end:])
			}
			i = end
		default:
			i++
		}
	}
	return tails
}

// classEnd is the end (exclusive) of the character class starting at
// pat[i], the shortest span path.Match takes for one; -1 if none is
// well formed.
func classEnd(pat string, i int) int {
	for j := i + 1; j < len(pat); j++ {
		if pat[j] != ']' {
			continue
		}
		if _, err := path.Match(pat[i:j+1], ""); err == nil {
			return j + 1
		}
	}
	return -1
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
	return matchesAny(c.bases, c.baseGlobs, path.Base(program))
}

// matchesAny says whether s is in set or matches one of globs (a malformed
// glob matches nothing).
func matchesAny(set map[string]struct{}, globs []string, s string) bool {
	if _, ok := set[s]; ok {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
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
