package store_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

// longSession is the session timeout of tests whose large requests may
// outlast drovertest's 2 s one on a loaded machine (no expiry is tested).
const longSession = 10 * time.Second

func open(t *testing.T, root, auth string) (*store.Store, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: root, SessionTimeout: 2 * time.Second, Auth: auth})
	if err == nil {
		t.Cleanup(st.Close)
	}
	return st, err
}

func TestDigestACLs(t *testing.T) {
	root := drovertest.NewRoot()
	st, err := open(t, root, "alice:s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(root+"/queue/x", []byte("data")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{root, root + "/queue", root + "/queue/x", root + "/workers"} {
		acl, err := st.ACL(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(acl) != 1 || !strings.HasPrefix(acl[0], "digest:alice:") || !strings.HasSuffix(acl[0], ":cdrwa") {
			t.Fatalf("%s: acl %v; want alice's digest only", p, acl)
		}
		for _, a := range acl {
			if strings.HasPrefix(a, "world:") || strings.Contains(a, "s3cret") {
				t.Fatalf("%s: acl %v leaks world access or the password", p, acl)
			}
		}
	}
	// Another identity, or none, gets nothing.
	for _, auth := range []string{"", "mallory:guess"} {
		other, err := open(t, drovertest.NewRoot(), auth)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := other.Get(root + "/queue/x"); !errors.Is(err, store.ErrNoAuth) {
			t.Fatalf("auth %q read alice's znode: %v", auth, err)
		}
		if err := other.Create(root+"/queue/y", nil); !errors.Is(err, store.ErrNoAuth) {
			t.Fatalf("auth %q wrote under alice's znode: %v", auth, err)
		}
	}
}

func TestBadCredentials(t *testing.T) {
	for _, bad := range []string{"nocolon", ":pass", "user:"} {
		if _, err := open(t, drovertest.NewRoot(), bad); err == nil {
			t.Errorf("credentials %q accepted", bad)
		}
	}
}

func TestTLS(t *testing.T) {
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
	ca, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	octx, ocancel := context.WithTimeout(ctx, 20*time.Second)
	defer ocancel()
	st, err := store.Open(octx, store.Config{Servers: []string{srv.SecureAddr()}, Root: "/tls", SessionTimeout: 2 * time.Second,
		TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatalf("open over TLS: %v", err)
	}
	defer st.Close()
	if err := st.Create("/tls/queue/hello", []byte("over tls")); err != nil {
		t.Fatal(err)
	}
	if data, _, err := st.Get("/tls/queue/hello"); err != nil || string(data) != "over tls" {
		t.Fatalf("read back %q %v", data, err)
	}
	// A client that does not trust the server's CA cannot connect.
	bctx, bcancel := context.WithTimeout(ctx, 3*time.Second)
	defer bcancel()
	if bad, err := store.Open(bctx, store.Config{Servers: []string{srv.SecureAddr()}, Root: "/tls", TLS: &tls.Config{}}); err == nil {
		bad.Close()
		t.Fatal("a client without the CA connected")
	}
}
