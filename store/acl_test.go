package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

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
