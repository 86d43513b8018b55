package worker

import (
	"path"
	"strings"
	"testing"
)

// workerAdmits is a copy of the model of policy.allowed that
// store/allow_brute_test.go checks the leader's store.AllowList against
// (store's tests cannot import this package): program as a task gives it,
// run from dir (where PATH found a name, or the working directory a
// relative path is resolved in). Keep the two the same.
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

// The model store's brute-force test judges AllowList by answers as
// policy.allowed on a sample of its patterns, programs and directories.
func TestAllowModelIsPolicyAllowed(t *testing.T) {
	pats := []string{"a", "*", ".x", "[^.]*", "a/b", "/", "/a", "/a/b", "/a/*", "/a/.x", "/.*[a/]*", "/a[/]b", "/a[./]b",
		`/a/\/a`, `/..\/a`, `/.\./a`, "/a/[^.]*", "/a[/][^.]*", "/*/a/b", "/a/[.][/]x", "/[!.]*", "/a/?", "/a\\.b", "/*"}
	programs := []string{"a", "b", "x", ".x", "ab", "a.", "a/b", "./a", "../b", "x/.x", "a/b/x", "a/./b", "b/../a", "a/",
		"/a", "/a/b", "/.x", "/a/.x", "/a//b", "/a/./b", "/x/../a/b", "/a/b/", "//a", "/.a/b"}
	dirs := []string{"/", "/a", "/a/b", "/.a", "/.b", "/x/a", "/a.", "/b"}
	n := 0
	for _, pat := range pats {
		pol := policy{allow: []string{pat}}
		for _, prog := range programs {
			for _, dir := range dirs {
				resolved := prog // an absolute program runs as given
				if !path.IsAbs(prog) {
					resolved = dir + "/" + prog // where PATH found it, or the working directory
				}
				_, got := pol.allowed(prog, resolved)
				if want := workerAdmits(pat, prog, dir); got != want {
					t.Errorf("policy{allow: [%q]}.allowed(%q, %q) = %v, the model says %v", pat, prog, resolved, got, want)
				}
				if got {
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Error("the sample admits nothing")
	}
}
