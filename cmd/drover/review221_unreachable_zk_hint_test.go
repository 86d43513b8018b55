package main

import (
	"net"
	"strings"
	"testing"
)

// README, A five-minute tour: "with 2181 taken, `make dev DEV_FLAGS="--zk-port
// 2182"`, and `--zk 127.0.0.1:2182` on the commands below"; Troubleshooting:
// "`cannot reach ZooKeeper at …`: check `--zk`/`DROVER_ZK`". A newcomer who
// forgets the --zk (or mistypes its port) waits a session timeout and is
// told "cannot reach ZooKeeper at 127.0.0.1:2181: is it running? try
// `drover dev`" (root.go, connection refused): it names the one remedy that
// is wrong there (a second cluster, beside the one on 2182) and not the
// flag to check. Expected: the line says to check --zk (or DROVER_ZK), as
// README's Troubleshooting does; `drover dev` may stay as the other
// remedy. (review221)
func TestUnreachableZKNamesTheFlag(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	root := newRoot()
	r := drover(t, root, "ls", "--zk", addr) // the last --zk is the one used
	oneLineError(t, r, 1, "cannot reach ZooKeeper at "+addr)
	if !strings.Contains(r.stderr, "--zk") {
		t.Errorf("a --zk where nothing listens: %q; want the line to say to check --zk (or DROVER_ZK), as README's Troubleshooting does, not only to start drover dev", strings.TrimSpace(r.stderr))
	}
}
