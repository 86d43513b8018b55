package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/zkserver"
)

// A client without TLS given a server's TLS port fails its session
// handshake; it said "no session handshake: EOF (no ZooKeeper server
// there, or one not serving: no quorum, too many connections)", naming
// every cause but the likeliest: the port wants TLS (--zk-tls-ca), as TLS
// to the plain port is named ("TLS handshake with ...").
func TestReview206PlainClientToTheTLSPortSaysTLS(t *testing.T) {
	files, err := zkserver.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := zkserver.Start(ctx, zkserver.Config{TLS: &files})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	out, err := exec.Command(binary, "--zk", srv.SecureAddr(), "--session-timeout", "2s", "workers").CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 1 || strings.Count(string(out), "\n") != 1 || !strings.Contains(string(out), "--zk-tls-ca") {
		t.Fatalf("plain client to the TLS port: exit %d, %q; want exit 1, one line naming --zk-tls-ca", code, out)
	}
}
