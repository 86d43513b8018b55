package main

import (
	"strings"
	"testing"
)

// TestReview190ConfigLsFilterCalledNoFlag: cb59291 makes ls's --name,
// --worker, --schedule and --before command-line only by leaving them out
// of the config schema, so a file that sets one is refused (exit 2, for
// every command) as if the flag did not exist: `ls: name:` is "unknown
// setting \"name\" (not a flag of drover ls)" and a top-level `before:`
// "(not a flag of any drover command)", while drover ls --help lists both
// and the README says every flag but --key, -f, --config and --help can
// live in the file. The refusal should say why (a filter is given on the
// command line), as notInFile's refusals do.
func TestReview190ConfigLsFilterCalledNoFlag(t *testing.T) {
	root := newRoot()
	for _, file := range []string{"ls:\n  name: \"backup*\"\n", "before: 0123\n"} {
		cfg := writeConfig(t, file)
		r := drover(t, root, "--config", cfg, "ls")
		t.Logf("config %q: exit %d %q", file, r.code, strings.TrimSpace(r.stderr))
		if r.code != 2 {
			t.Errorf("config %q: exit %d, want 2 (refused)", file, r.code)
			continue
		}
		if strings.Contains(r.stderr, "not a flag") {
			t.Errorf("config %q: the refusal says ls's filter is no flag (drover ls --help lists it): %q", file, strings.TrimSpace(r.stderr))
		}
	}
}
