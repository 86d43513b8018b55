package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A scheduler or worker given wrong credentials for a secured cluster
// exits 1 at once with one line (ZooKeeper refused access ... check the
// user and password). Given none, they ran on: store.Open found every
// directory there (EnsurePath creates nothing where one exists) and runs
// its ACL checks only with credentials, so the scheduler retried its
// election ("join election: create .../election/n_...: not authorized by
// ZooKeeper ACLs", "campaign failed; retrying") and the worker its
// registration ("worker stopped serving; registering again") every few
// seconds for ever, a service that looks up and does nothing. cancel,
// retry and workers cordon/uncordon without credentials said only
// "... not authorized by ZooKeeper ACLs" of the znode they touched, where
// status, ls and the rest name the cause and DROVER_ZK_AUTH.
func TestReview206NoCredentialsAgainstASecuredCluster(t *testing.T) {
	root := newRoot()
	owner := []string{"DROVER_ZK_AUTH=owner:s3cret"}
	r := droverEnv(t, root, "", owner, "submit", "--on", "pool=none", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	if r := droverEnv(t, root, "", owner, "workers", "cordon", "w9"); r.code != 0 {
		t.Fatalf("cordon: %+v", r)
	}
	const want = "ZooKeeper refused access to " // ...; set DROVER_ZK_AUTH or --zk-auth-file
	for _, args := range [][]string{{"scheduler", "--id", "s9"}, {"worker", "--id", "w9"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, binary, append([]string{"--zk", zkAddr, "--root", root, "--session-timeout", "2s"}, args...)...)
		cmd.Env = os.Environ()
		out, err := cmd.CombinedOutput()
		ranOn := ctx.Err() != nil
		cancel()
		if ranOn {
			t.Errorf("%s without credentials still runs after 20s; it says:\n%s", args[0], lastLines(string(out), 4))
			continue
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 1 || !strings.Contains(string(out), want) || !strings.Contains(string(out), "DROVER_ZK_AUTH") {
			t.Errorf("%s without credentials: exit %d, %q; want exit 1 and %q...", args[0], code, out, want)
		}
	}
	for _, args := range [][]string{{"cancel", id}, {"retry", id}, {"workers", "cordon", "w8"}, {"workers", "uncordon", "w9"}} {
		r := droverEnv(t, root, "", nil, args...)
		if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "DROVER_ZK_AUTH") {
			t.Errorf("%s without credentials: exit %d, %q; want exit 1 and one line %q...", strings.Join(args, " "), r.code, r.stderr, want)
		}
	}
	// Nothing changed.
	if r := droverEnv(t, root, "", owner, "status", "-o", "json", id); r.code != 0 || !strings.Contains(r.stdout, `"state": "queued"`) {
		t.Errorf("status after: %+v", r)
	}
}
