package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// drover leader -o wide (and -o json) says where each scheduler serves its
// dashboard, API and metrics (--http), so an operator can find the
// leader's /metrics: a scheduler without --http shows "-". (review204: it
// showed host and pid only.)
func TestLeaderSaysWhereEachSchedulerServes(t *testing.T) {
	root := newRoot()
	port := freePort(t)
	daemon(t, root, "scheduler", "--id", "s1", "--http", fmt.Sprintf("127.0.0.1:%d", port))
	waitFor(t, 20*time.Second, "s1 to lead", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemon(t, root, "scheduler", "--id", "s2")
	waitFor(t, 20*time.Second, "s2 to stand by", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s2")
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	r := drover(t, root, "-o", "wide", "leader")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasSuffix(lines[0], "HTTP") ||
		!strings.HasSuffix(lines[1], url) || !strings.Contains(lines[1], "s1") || !strings.HasSuffix(lines[2], " -") {
		t.Fatalf("leader -o wide: %+v; want s1's line ending in %s, s2's in -", r, url)
	}
	if r := drover(t, root, "leader"); strings.Contains(r.stdout, "HTTP") || strings.Contains(r.stdout, url) {
		t.Errorf("leader (table): %q; the URL is wide's", r.stdout)
	}
	if r := drover(t, root, "-o", "json", "leader"); r.code != 0 || !strings.Contains(r.stdout, `"http": "`+url+`"`) {
		t.Errorf("leader -o json: %+v; want \"http\": %q", r, url)
	}
}

// A wildcard --http address is advertised by this host's name, a given one
// as it is.
func TestAdvertisedURL(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	for addr, want := range map[string]string{"0.0.0.0:0": "http://" + host + ":", "127.0.0.1:0": "http://127.0.0.1:"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if got := advertisedURL(ln); got != fmt.Sprintf("%s%d/", want, port) {
			t.Errorf("advertisedURL(%s) = %q, want %s%d/", addr, got, want, port)
		}
		ln.Close()
	}
	if got := advertisedURL(nil); got != "" {
		t.Errorf("advertisedURL(nil) = %q", got)
	}
}
