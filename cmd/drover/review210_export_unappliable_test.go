package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// schedule export printed, as they stand, schedules that schedule apply
// refuses: records an earlier client wrote (a DROVER_ env, a command with a
// payload: store.TestDecodeScheduleReadsWhatEarlierClientsWrote), a spec
// leaders still read but no client writes (@every 1500ms), history limits
// of 0 (a record written by hand, which DecodeSchedule reads). Applied,
// the whole file was refused (exit 2), the schedules it could have kept
// unchanged with it. Such a schedule is left out, as one whose payload is
// not text was (now written as !!binary): a line on stderr, exit 1; the rest
// applies unchanged.
// (review210)
func TestScheduleExportLeavesOutWhatApplyRefuses(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	if r := drover(t, root, "schedule", "add", "good", "--cron", "@hourly", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	head := func(name, cron string) string {
		return `{"v":1,"name":"` + name + `","cron":"` + cron + `","catchup":"none","concurrency":"allow","created_at":"2026-12-01T00:00:00Z",`
	}
	recs := map[string]string{
		"drover":  head("drover", "@daily") + `"keep_succeeded":10,"keep_failed":10,"task":{"v":1,"name":"drover","cmd":["drover","status"],"env":{"DROVER_ZK":"zk1:2181"}}}`,
		"cmdpay":  head("cmdpay", "@daily") + `"keep_succeeded":10,"keep_failed":10,"task":{"v":1,"name":"cmdpay","cmd":["true"],"payload":"eA=="}}`,
		"every":   head("every", "@every 1500ms") + `"keep_succeeded":10,"keep_failed":10,"task":{"v":1,"name":"every","cmd":["true"]}}`,
		"keepnil": head("keepnil", "@daily") + `"task":{"v":1,"name":"keepnil","cmd":["true"]}}`,
	}
	for name, data := range recs {
		if err := st.Create(st.Layout().Schedule(name), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	r := drover(t, root, "schedule", "export")
	for name := range recs {
		if !strings.Contains(r.stderr, "schedule export: "+name+": left out") {
			t.Errorf("schedule export: stderr does not say %s was left out: %+v", name, r)
		}
	}
	if r.code != 1 {
		t.Errorf("schedule export: exit %d, want 1 (schedules left out)", r.code)
	}
	file := filepath.Join(t.TempDir(), "exported.yaml")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if a := drover(t, root, "schedule", "apply", "-f", file); a.code != 0 || a.stdout != "unchanged good\n" {
		t.Fatalf("apply of what export printed:\n%s\n%+v; want exit 0, good unchanged", r.stdout, a)
	}
}
