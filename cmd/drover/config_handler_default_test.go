package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A config file's handler (and payload) for submit or schedule add is a
// default: a command on the command line wins over it, as a flag does,
// where every `submit -- CMD` was refused ("give no command").
func TestConfigHandlerYieldsToACommand(t *testing.T) {
	root := newRoot()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("submit:\n  handler: upper\n  payload: from-the-config\nadd:\n  handler: upper\n  payload: from-the-config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, root)
	r := drover(t, root, "--config", cfg, "submit", "--", "echo", "hi")
	if r.code != 0 {
		t.Fatalf("submit -- echo hi with a config file's handler: exit %d, %q; want the command submitted", r.code, strings.TrimSpace(r.stderr))
	}
	task, _, err := st.LookupTask(strings.TrimSpace(r.stdout))
	if err != nil || task.Handler != "" || task.Payload != nil || !slices.Equal(task.Cmd, []string{"echo", "hi"}) {
		t.Fatalf("submit -- echo hi: task %+v, %v; want the command alone", task, err)
	}
	// With no command, the file's handler and payload stand.
	r = drover(t, root, "--config", cfg, "submit")
	if r.code != 0 {
		t.Fatalf("submit with a config file's handler: %+v", r)
	}
	if task, _, err := st.LookupTask(strings.TrimSpace(r.stdout)); err != nil || task.Handler != "upper" || string(task.Payload) != "from-the-config" {
		t.Fatalf("submit: task %+v, %v; want the config's handler and payload", task, err)
	}
	// A payload given on the command line with a command is still refused.
	if r := drover(t, root, "--config", cfg, "submit", "--payload", "x", "--", "echo", "hi"); r.code != 2 || !strings.Contains(r.stderr, "--payload") {
		t.Fatalf("submit --payload x -- echo hi: %+v; want exit 2 about --payload", r)
	}
	// And a --handler given there with a command.
	if r := drover(t, root, "--config", cfg, "submit", "--handler", "upper", "--", "echo", "hi"); r.code != 2 || !strings.Contains(r.stderr, "give no command") {
		t.Fatalf("submit --handler upper -- echo hi: %+v; want exit 2, give no command", r)
	}
	r = drover(t, root, "--config", cfg, "schedule", "add", "nightly", "--cron", "0 2 * * *", "--", "echo", "hi")
	if r.code != 0 {
		t.Fatalf("schedule add -- echo hi with a config file's handler: exit %d, %q; want the command's schedule", r.code, strings.TrimSpace(r.stderr))
	}
	r = drover(t, root, "-o", "json", "schedule", "get", "nightly")
	var got struct {
		Task struct {
			Cmd     []string `json:"cmd"`
			Handler string   `json:"handler"`
			Payload []byte   `json:"payload"`
		} `json:"task"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil || got.Task.Handler != "" || got.Task.Payload != nil || !slices.Equal(got.Task.Cmd, []string{"echo", "hi"}) {
		t.Fatalf("schedule get nightly: %+v (%v); want the command alone", r, err)
	}
}
