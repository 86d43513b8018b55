package main

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Error lines show what the user typed quoted when it is not printable
// (shown, %q: a name, a path, a value), so an escape sequence cannot set
// the terminal's title or clear it, and a \r cannot forge the line. A few
// still print it raw: pflag's unknown flag and unknown shorthand errors
// (passed through flagError as they are), --cpuprofile's open error and
// the user lookup's error after --run-as's quoted name. Each exits 2 with
// one line, but that line carries the ESC and BEL as typed. (review174)
func TestErrorLineHasNoRawControlCharacters(t *testing.T) {
	root := newRoot()
	const esc = "\x1b]2;pwned\a\u202e\x9b" // and a right-to-left override, as tables quote it, and a raw C1 byte
	for _, args := range [][]string{
		{"--x" + esc, "version"},
		{"--y\x9b", "version"}, // that byte alone
		{"-" + esc, "version"},
		{"submit", "--x" + esc, "true"},
		{"bench", "--cpuprofile", "/nonexistent-review174/" + esc},
		{"worker", "--run-as", "nouser" + esc},
	} {
		r := drover(t, root, args...)
		if r.code != 2 || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("drover %q: exit %d, stderr %q; want exit 2, one line", args, r.code, r.stderr)
			continue
		}
		if !utf8.ValidString(r.stderr) {
			t.Errorf("drover %q: stderr %q holds a raw byte that is no UTF-8 (0x9b is CSI to 8-bit terminals): want it escaped", args, r.stderr)
		}
		for _, c := range strings.TrimRight(r.stderr, "\n") {
			if c < 0x20 || c == 0x7f || unicode.Is(unicode.Cf, c) {
				t.Errorf("drover %q: stderr %q holds the raw control character %q: want what was typed quoted", args, r.stderr, c)
				break
			}
		}
	}
}
