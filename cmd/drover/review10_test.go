package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/zkserver"
)

// submit -f takes its tasks from the file; the task flags given with it
// (--retries, --priority, --key, --on, --timeout, --env, --name, --shell)
// were silently dropped: the task ran without its retries, and a --key
// meant to make a resubmitted batch safe did nothing. They must either
// apply or be bad usage (exit 2, one line).
func TestSubmitFileWithTaskFlags(t *testing.T) {
	root := newRoot()
	f := filepath.Join(t.TempDir(), "one.jsonl")
	if err := os.WriteFile(f, []byte(`{"cmd":["true"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "submit", "-f", f, "--retries", "3", "--priority", "high", "--key", "batch-1")
	if r.code == 2 {
		oneLineError(t, r, 2, "")
		assertNothingWritten(t, root)
		return
	}
	if r.code != 0 {
		t.Fatalf("submit -f with task flags: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	var task map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", id).stdout), &task); err != nil {
		t.Fatal(err)
	}
	if task["retries"] != float64(3) || task["priority"] != "high" || task["key"] != "batch-1" {
		t.Fatalf("submit -f %s --retries 3 --priority high --key batch-1 exited 0 and wrote retries %v, priority %v, key %v: the flags were dropped",
			f, task["retries"], task["priority"], task["key"])
	}
}

// A config section named after a command that only groups others
// (schedule, deadletter, config) or after the program itself (drover) is
// accepted by the file's check, but no command reads it: sections are
// looked up by the running command's last word. Its settings must either
// apply or be refused (exit 2), not be silently ignored.
func TestConfigSectionOfAGroupCommand(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	dir := t.TempDir()
	for _, tc := range []struct {
		section string
		args    []string
	}{
		{"drover", []string{"version"}},
		{"schedule", []string{"schedule", "ls"}},
		{"deadletter", []string{"deadletter", "ls"}},
	} {
		cfg := filepath.Join(dir, tc.section+".yaml")
		if err := os.WriteFile(cfg, []byte(tc.section+":\n  output: json\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := drover(t, root, append([]string{"--config", cfg}, tc.args...)...)
		if r.code == 2 {
			oneLineError(t, r, 2, tc.section)
			continue
		}
		if r.code != 0 || !json.Valid([]byte(r.stdout)) {
			t.Errorf("config %q with `drover %s`: exit %d, stdout %q: the section was accepted and ignored",
				tc.section+": {output: json}", strings.Join(tc.args, " "), r.code, r.stdout)
		}
	}
}

// drover dev starts a plain ZooKeeper but hands the --zk-tls-* flags on to
// its schedulers and workers, which then speak TLS to its plain port and
// never connect: dev says the cluster is up, and no worker ever registers.
// (A config file with the zk-tls-* settings of a real ensemble does the
// same.) Either dev serves TLS, or it does not pass the flags, or it
// refuses them (exit 2).
func TestDevWithTLSFlags(t *testing.T) {
	files, err := zkserver.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	zk := fmt.Sprintf("127.0.0.1:%d", port)
	root := newRoot()
	cmd := exec.Command(binary, "--root", root, "--zk-tls-ca", files.CA, "--session-timeout", "2s",
		"dev", "--zk-port", fmt.Sprint(port), "--schedulers", "1", "--workers", "1")
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	up, exited := make(chan struct{}), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				close(up)
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	select {
	case <-up:
	case <-exited:
		if cmd.ProcessState.ExitCode() == 2 {
			return // refused: fine
		}
		t.Fatalf("drover dev --zk-tls-ca exited: %s", out)
	case <-time.After(90 * time.Second):
		t.Fatalf("drover dev not up after 90s: %s", out)
	}
	// The dev cluster serves plain connections on zk (its banner says so).
	var last result
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last `drover workers`: %+v; dev output:\n%s", last, out)
		}
	})
	waitFor(t, 30*time.Second, "the dev worker to register (dev was given --zk-tls-ca)", func() bool {
		last = droverEnv(t, root, "", nil, "--zk", zk, "workers", "-o", "json")
		var ws []map[string]any
		return last.code == 0 && json.Unmarshal([]byte(last.stdout), &ws) == nil && len(ws) == 1
	})
}
