package main

import (
	"strings"
	"testing"
)

// A file of several tasks resubmitted with one line changed under its key
// returned the first task for it without a word (noteOtherSpec ran for a
// one-task submit only: session 42's note). One line now says how many
// keys named tasks of another spec, and which; the same file again says
// nothing. A key whose task's record does not decode fails for that task,
// as a one-task submit does: its record moved to deadletter, one line, exit
// 1, the ids printed first.
func TestSubmitFileSaysWhichKeysNamedTasksOfAnotherSpec(t *testing.T) {
	root := newRoot()
	file := `{"cmd":["echo","a"],"key":"ka"}` + "\n" + `{"cmd":["echo","b"],"key":"kb"}` + "\n" + `{"cmd":["echo","c"],"key":"kc"}` + "\n"
	first := droverIn(t, root, file, "submit", "-f", "-")
	if first.code != 0 {
		t.Fatalf("submit -f: %+v", first)
	}
	same := droverIn(t, root, file, "submit", "-f", "-")
	if same.code != 0 || same.stdout != first.stdout || same.stderr != "" {
		t.Fatalf("the same file again: %+v; want the first ids and nothing said", same)
	}
	changed := strings.Replace(file, `"echo","b"`, `"echo","B"`, 1)
	other := droverIn(t, root, changed, "submit", "-f", "-")
	if other.code != 0 || other.stdout != first.stdout {
		t.Fatalf("the file with one line changed: %+v; want the first ids, exit 0", other)
	}
	kb := strings.Fields(first.stdout)[1]
	if lines := strings.Split(strings.TrimSpace(other.stderr), "\n"); len(lines) != 1 ||
		!strings.Contains(other.stderr, "1 key") || !strings.Contains(other.stderr, `"kb"`) || !strings.Contains(other.stderr, kb) ||
		strings.Contains(other.stderr, `"ka"`) || !strings.Contains(other.stderr, "another spec") {
		t.Errorf("a file's line changed under key kb (task %s) said %q; want one line naming that key and task", kb, other.stderr)
	}
	kc := strings.Fields(first.stdout)[2]
	st := openStore(t, root)
	if _, err := st.Set(st.Layout().QueueItem(kc), []byte("{junk"), -1); err != nil {
		t.Fatal(err)
	}
	junk := droverIn(t, root, file, "submit", "-f", "-")
	if junk.code != 1 || junk.stdout != first.stdout || !strings.Contains(junk.stderr, kc) || strings.Count(strings.TrimSpace(junk.stderr), "\n") != 0 {
		t.Errorf("the file again, key kc's task %s junk: %+v; want the ids, then one line naming that task, exit 1", kc, junk)
	}
	if ok, _, err := st.Exists(st.Layout().QueueItem(kc)); err != nil || ok {
		t.Errorf("the junk queue item of %s still in place (%v)", kc, err)
	}
}
