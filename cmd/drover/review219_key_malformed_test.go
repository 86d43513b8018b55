package main

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// TestReview219KeyRecordMalformedMessage: a key record that does not decode
// (or of a newer format) failed status --key, and the other commands, with
// the key named twice and no command: `drover: key "k": key "k": malformed
// record: ...`, where every other failure of theirs names the command.
func TestReview219KeyRecordMalformedMessage(t *testing.T) {
	root := newRoot()
	for _, k := range []string{"r219-junk", "r219-newer"} {
		if r := drover(t, root, "submit", "--key", k, "--in", "1h", "--", "true"); r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
	}
	st := openStore(t, root)
	for k, data := range map[string]string{"r219-junk": "{junk", "r219-newer": `{"v":99,"task":"x"}`} {
		if _, err := st.Set(st.Layout().Key(store.KeyHash(k)), []byte(data), -1); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"status", "logs", "wait", "cancel", "retry"} {
		for _, k := range []string{"r219-junk", "r219-newer"} {
			r := drover(t, root, c, "--key", k)
			oneLineError(t, r, 1, c+`: key "`+k+`": `)
			if strings.Count(r.stderr, k) != 1 {
				t.Errorf("%s --key %s names the key %d times: %q", c, k, strings.Count(r.stderr, k), r.stderr)
			}
		}
	}
}
