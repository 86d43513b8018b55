package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// decimalInts (130e026) wraps every whole-number flag's value in a Set
// that refuses what is not decimal with its own error, "want a decimal
// whole number". That text is no strconv error, so flagError no longer
// recognises pflag's message and the raw pflag form comes back
// (`invalid argument "1.5" for "--retries" flag: want a decimal whole
// number`), where every release before said `--retries "1.5": want a
// whole number` as every other flag's bad value is said; and a config
// file's bad value (valueError) loses the value itself: `retries: want a
// decimal whole number` where it said `retries: "1.5": want a whole
// number`. The same input, two words, on the command line and in a file
// alike, as README promises for both. (review176)
func TestWholeNumberFlagErrorKeepsItsWording(t *testing.T) {
	root := newRoot()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("submit:\n  retries: 1.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"submit", "--retries", "1.5", "--", "true"}, "drover: submit: --retries \"1.5\": want a "},
		{[]string{"submit", "--retries", "0x10", "--", "true"}, "drover: submit: --retries \"0x10\": want a "},
		{[]string{"--config", cfg, "submit", "--", "true"}, "drover: --config " + cfg + ": retries: \"1.5\": want a "},
	} {
		r := drover(t, root, c.args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("drover %q: exit %d, stderr %q; want exit 2, one line %q...", c.args, r.code, r.stderr, c.want)
		}
	}
}
