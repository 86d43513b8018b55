package store_test

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// TestTLSVerifiesAPortlessZkByItsName: `--zk ZKHOST` without a port is
// accepted (cmd/drover checkServer: port 2181 by default) and handed to
// store.Open as is; the ZooKeeper client adds :2181 itself
// (zk.FormatServers). serverNames (9aa1ac1) passes over a server without
// a port (net.SplitHostPort fails), so the handshake falls back to the
// address the name resolved to, and a certificate for the host name (no
// IP SAN) is refused, as before 9aa1ac1: "x509: cannot validate
// certificate for 127.0.0.1 because it doesn't contain any IP SANs".
// README: "Each server's certificate is checked against the name --zk
// gives for it (ZKHOST, ...)". Needs the loopback port 2181 free.
func TestTLSVerifiesAPortlessZkByItsName(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:2181")
	if err != nil {
		t.Skipf("port 2181 is taken here: %v", err)
	}
	ln.Close()
	files, pool := dnsOnlyTLS(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := zkserver.Start(ctx, zkserver.Config{TLS: &files, SecurePort: 2181})
	if err != nil {
		t.Skipf("a TLS ZooKeeper on port 2181: %v", err)
	}
	defer srv.Stop()
	octx, ocancel := context.WithTimeout(ctx, 10*time.Second)
	defer ocancel()
	st, err := store.Open(octx, store.Config{Servers: []string{"localhost"}, Root: "/tls-portless", SessionTimeout: 2 * time.Second,
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatalf("open over TLS with --zk localhost (port 2181 by default) and a certificate for localhost: %v", err)
	}
	st.Close()
}
