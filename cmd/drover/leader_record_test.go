package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A leading scheduler whose election record does not decode (written over
// by hand, or by a newer Drover mid-upgrade) is shown by drover leader as a
// blank row, "leader", no id, no host, pid 0, exit 0 with nothing on stderr
// (and "id": "" in -o json): the status view is blanked and nothing says why,
// where an epoch record that does not decode is shown as ? with a warning
// (TestLeaderWithAMalformedEpoch). The election znode is live (ephemeral,
// held by the leader's session) and keeps its place in line: it is not to
// be moved aside, but the reader must say it cannot read it.
func TestLeaderWithAMalformedElectionRecordIsNotShownBlank(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leading", func() bool {
		r := drover(t, root, "leader")
		return r.code == 0 && strings.Contains(r.stdout, "s1")
	})
	st := openStore(t, root)
	kids, err := st.Children(st.Layout().Election())
	if err != nil || len(kids) != 1 {
		t.Fatalf("election line: %v %v", kids, err)
	}
	if _, err := st.Set(st.Layout().Election()+"/"+kids[0], []byte("\x00 not a drover record"), -1); err != nil {
		t.Fatal(err)
	}

	r := drover(t, root, "leader")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 2 {
		t.Fatalf("leader: %+v", r)
	}
	if f := strings.Fields(lines[1]); r.code == 0 && r.stderr == "" && len(f) > 0 && f[0] == "leader" && !strings.Contains(lines[1], "s1") {
		t.Fatalf("drover leader shows the leader blank and says nothing of its unreadable record:\nstdout %q\nstderr %q", r.stdout, r.stderr)
	}

	r = drover(t, root, "leader", "-o", "json")
	var l map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &l); err == nil && r.code == 0 && l["id"] == "" && r.stderr == "" {
		for k, v := range l {
			if strings.Contains(k, "error") && v != "" {
				return
			}
		}
		t.Fatalf("drover leader -o json gives the leader as \"id\": \"\" and says nothing of why: %s", r.stdout)
	}
}
