package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// schedule apply adds and updates a file's schedules in place, says which
// were unchanged, removes the others with --prune, and with --dry-run
// writes nothing; a bad file writes nothing either.
func TestScheduleApply(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	write := func(body string) string {
		t.Helper()
		p := filepath.Join(dir, "schedules.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	names := func() string {
		t.Helper()
		r := drover(t, root, "-o", "json", "schedule", "ls")
		var list []struct {
			Name string `json:"name"`
			Task struct {
				Cmd []string `json:"cmd"`
			} `json:"task"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil {
			t.Fatalf("schedule ls: %+v (%v)", r, err)
		}
		var out []string
		for _, s := range list {
			out = append(out, s.Name+"="+strings.Join(s.Task.Cmd, ","))
		}
		return strings.Join(out, " ")
	}
	if r := drover(t, root, "schedule", "add", "old", "--cron", "@daily", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add old: %+v", r)
	}
	file := write("nightly:\n  cron: \"0 2 * * *\"\n  tz: Europe/Berlin\n  retries: 2\n  on: {zone: eu}\n  cmd: [./report.sh, --full]\n" +
		"tick:\n  cron: \"*/10 * * * * *\"\n  concurrency: forbid\n  cmd: [date]\n")
	r := drover(t, root, "schedule", "apply", "-f", file)
	if r.code != 0 || r.stdout != "added nightly\nadded tick\n" {
		t.Fatalf("first apply: %+v", r)
	}
	if r := drover(t, root, "schedule", "apply", "-f", file); r.code != 0 || r.stdout != "unchanged nightly\nunchanged tick\n" {
		t.Fatalf("second apply: %+v", r)
	}
	file = write("nightly:\n  cron: \"0 2 * * *\"\n  tz: Europe/Berlin\n  retries: 2\n  on: {zone: eu}\n  cmd: [./report.sh]\n" +
		"tick:\n  cron: \"*/10 * * * * *\"\n  concurrency: forbid\n  cmd: [date]\n")
	before := names()
	r = drover(t, root, "schedule", "apply", "--prune", "--dry-run", "-f", file)
	if r.code != 0 || r.stdout != "would update nightly\nunchanged tick\nwould remove old\n" {
		t.Fatalf("apply --prune --dry-run: %+v", r)
	}
	if after := names(); after != before {
		t.Fatalf("a dry run changed the schedules: %s, then %s", before, after)
	}
	r = drover(t, root, "-o", "json", "schedule", "apply", "--prune", "-f", file)
	var got []struct{ Schedule, Result string }
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil || len(got) != 3 ||
		got[0].Result != "updated" || got[1].Result != "unchanged" || got[2] != (struct{ Schedule, Result string }{"old", "removed"}) {
		t.Fatalf("apply --prune -o json: %+v (%v)", r, err)
	}
	if n := names(); n != "nightly=./report.sh tick=date" {
		t.Fatalf("after apply --prune: %s", n)
	}
	// A bad schedule anywhere in the file: nothing written, exit 2.
	bad := write("nightly:\n  cron: \"0 3 * * *\"\n  cmd: [x]\nbroken:\n  cron: \"61 * * * *\"\n  cmd: [x]\n")
	if r := drover(t, root, "schedule", "apply", "-f", bad); r.code != 2 || !strings.Contains(r.stderr, "schedule broken") {
		t.Fatalf("apply of a file with a bad schedule: %+v; want exit 2 naming it", r)
	}
	if n := names(); n != "nightly=./report.sh tick=date" {
		t.Fatalf("a refused file changed the schedules: %s", n)
	}
	if r := drover(t, root, "schedule", "apply"); r.code != 2 {
		t.Fatalf("apply with no file: %+v; want exit 2", r)
	}
}

// configs/schedules.yaml, the example the README points at, reads.
func TestExampleSchedulesFileReads(t *testing.T) {
	data, err := os.ReadFile("../../configs/schedules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	specs, err := readScheduleFile(data)
	if err != nil || len(specs) != 3 {
		t.Fatalf("configs/schedules.yaml: %d schedules, %v", len(specs), err)
	}
}

// A config file may not set --prune: every schedule apply would remove the
// schedules its file leaves out.
func TestConfigFileRefusesPrune(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	for _, body := range []string{"prune: true\n", "apply:\n  prune: true\n"} {
		cfg := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := drover(t, root, "--config", cfg, "schedule", "ls"); r.code != 2 || !strings.Contains(r.stderr, "prune") {
			t.Errorf("config %q: %+v; want exit 2 naming prune", body, r)
		}
	}
}

// schedule export prints what schedule apply reads: the schedules it
// printed, applied, are unchanged, whatever their settings.
func TestScheduleExportRoundTrips(t *testing.T) {
	root := newRoot()
	binary := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(binary, []byte("\xff\x00\x01 not text"), 0o644); err != nil {
		t.Fatal(err)
	}
	adds := [][]string{
		{"plain", "--cron", "@hourly", "--", "true"},
		{"busy", "--cron", "CRON_TZ=Europe/Berlin 30 2 * * 1-5", "--catchup", "all", "--starting-deadline", "90m", "--concurrency", "replace",
			"--keep-succeeded", "30", "--keep-failed", "5", "--retries", "3", "--no-retry-exit", "64,2", "--no-retry-exit", "2", "--backoff", "90s", "--timeout", "1h", "--on", "zone=eu", "--env", "MODE=full",
			"--priority", "high", "--suspend", "--", "./report.sh", "--since", "yesterday", "a b"},
		{"shelled", "--cron", "*/10 * * * * *", "--tz", "America/New_York", "--shell", "--", "echo 'hi: there' # yes"},
		{"handled", "--cron", "@every 90s", "--handler", "upper", "--payload", "line one\nline: two"},
		{"binary", "--cron", "@hourly", "--handler", "upper", "--payload-file", binary},
	}
	for _, a := range adds {
		if r := drover(t, root, append([]string{"schedule", "add"}, a...)...); r.code != 0 {
			t.Fatalf("schedule add %q: %+v", a, r)
		}
	}
	r := drover(t, root, "schedule", "export")
	if r.code != 0 {
		t.Fatalf("schedule export: %+v", r)
	}
	file := filepath.Join(t.TempDir(), "exported.yaml")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	exported := r.stdout
	if r := drover(t, root, "schedule", "apply", "-f", file); r.code != 0 || r.stdout != "unchanged binary\nunchanged busy\nunchanged handled\nunchanged plain\nunchanged shelled\n" {
		t.Fatalf("apply of what export printed:\n%s\n%+v", exported, r)
	}
	if r := drover(t, root, "schedule", "export", "plain"); r.code != 0 || r.stdout != "plain:\n  cron: '@hourly'\n  cmd: [\"true\"]\n" {
		t.Fatalf("schedule export plain: %+v", r)
	}
	if r := drover(t, root, "schedule", "export", "nosuch"); r.code != 1 {
		t.Fatalf("schedule export nosuch: %+v; want exit 1", r)
	}
}

// A setting of the wrong kind is told what it takes, by name and line, not
// in the YAML decoder's Go types.
func TestScheduleApplySaysWhatASettingTakes(t *testing.T) {
	root := newRoot()
	for _, c := range []struct{ setting, want string }{
		{"cmd: date", "line 3: cmd: want a list"},
		{"on: zone=eu", "line 3: on: want a mapping"},
		{`retries: "3"`, "line 3: retries: want a whole number"},
		{"shell: yes", "line 3: shell: want true or false"},
		{"tz: [x]", "line 3: tz: want text"},
		{"no-retry-exit: 2", "line 3: no-retry-exit: want a list of exit codes"},
		{"no-retry-exit: [two]", "line 3: no-retry-exit: want a list of exit codes"},
		{"no-retry-exit: [010]", "line 3: no-retry-exit: want a list of exit codes, like [2, 64]; its item 1: want a whole number without a leading zero"},
		{"no-retry-exit: [256]", "no-retry-exit 256: want exit codes 1..255"},
	} {
		body := "a:\n  cron: \"@hourly\"\n  " + c.setting + "\n"
		if !strings.HasPrefix(c.setting, "cmd:") {
			body += "  cmd: [x]\n"
		}
		r := droverIn(t, root, body, "schedule", "apply", "-f", "-")
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "unmarshal") {
			t.Errorf("%s: %+v; want exit 2 saying %q", c.setting, r, c.want)
		}
	}
}

// Merge lists of aliases of merge lists are refused at once, not walked
// for ever (ten aliases at each of 30 levels are 10^30 mappings).
func TestScheduleApplyRefusesAMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &x0 {cron: '@hourly', cmd: [x]}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "x%d: &x%d\n  <<: [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*x%d, ", i-1), 10), ", "))
	}
	done := make(chan error, 1)
	go func() { _, err := readScheduleFile([]byte(b.String())); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "too many") {
			t.Fatalf("a merge bomb: %v; want refused", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a merge bomb was still being read after 30 s")
	}
}
