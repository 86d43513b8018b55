package main

import (
	"errors"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// securedDaemon starts a drover daemon with DROVER_ZK_AUTH set to auth,
// killed by its process group at cleanup.
func securedDaemon(t *testing.T, root, auth string, args ...string) {
	t.Helper()
	daemonWith(t, root, nil, []string{"DROVER_ZK_AUTH=" + auth}, args...)
}

// zkAs connects to the test server with the digest identity auth (none
// when empty).
func zkAs(t *testing.T, auth string) *zk.Conn {
	t.Helper()
	conn, ev, err := zk.Connect([]string{zkAddr}, 5*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietZK{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	deadline := time.After(20 * time.Second)
	for connected := false; !connected; {
		select {
		case e := <-ev:
			connected = e.State == zk.StateHasSession
		case <-deadline:
			t.Fatal("no ZooKeeper session")
		}
	}
	if auth != "" {
		if err := conn.AddAuth("digest", []byte(auth)); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

type quietZK struct{}

func (quietZK) Printf(string, ...any) {}

// walk returns every znode at and under p, as conn may list them.
func walk(t *testing.T, conn *zk.Conn, p string) []string {
	t.Helper()
	out := []string{p}
	kids, _, err := conn.Children(p)
	if errors.Is(err, zk.ErrNoNode) {
		return nil // gone meanwhile (an ephemeral, a pruned bucket)
	}
	if err != nil {
		t.Fatalf("list %s as the owner: %v", p, err)
	}
	for _, k := range kids {
		out = append(out, walk(t, conn, path.Join(p, k))...)
	}
	return out
}

// Promise 7: with digest credentials, every znode Drover creates -- the
// root's parents, the root, every directory and every record a busy
// cluster writes (election, epoch, workers, queue buckets and items,
// manifests, assignments, results, keys, schedules, deadletter, cordons,
// follow) -- carries the owner's ACL alone: another digest identity and an
// unauthenticated client may neither read, list, write, delete nor create
// under any of them.
func TestEveryZnodeOfASecuredClusterKeepsOthersOut(t *testing.T) {
	const owner = "owner:s3cret"
	top := newRoot()
	root := top + "/nested/prod"
	env := []string{"DROVER_ZK_AUTH=" + owner}
	run := func(stdin string, args ...string) result {
		t.Helper()
		return droverEnv(t, root, stdin, env, args...)
	}
	securedDaemon(t, root, owner, "scheduler", "--id", "s1")
	securedDaemon(t, root, owner, "scheduler", "--id", "s2")
	securedDaemon(t, root, owner, "worker", "--id", "w1", "--capacity", "4")
	securedDaemon(t, root, owner, "worker", "--id", "w2", "--capacity", "4")
	waitFor(t, 30*time.Second, "a leader and two workers", func() bool {
		l, w := run("", "leader").stdout, run("", "workers").stdout
		return (strings.Contains(l, "s1") || strings.Contains(l, "s2")) && strings.Contains(w, "w1") && strings.Contains(w, "w2")
	})

	ownerConn := zkAs(t, owner)
	seen := map[string]bool{}
	var mu sync.Mutex
	// Each znode's ACL is read when first seen: ephemeral ones (follow,
	// workers, election) and assignments are gone by the end.
	ownerOnly := func(p string) {
		acl, _, err := ownerConn.GetACL(p)
		if errors.Is(err, zk.ErrNoNode) {
			return
		}
		if err != nil {
			t.Errorf("get acl %s: %v", p, err)
			return
		}
		if len(acl) != 1 || acl[0].Scheme != "digest" || !strings.HasPrefix(acl[0].ID, "owner:") || acl[0].Perms != zk.PermAll {
			t.Errorf("%s: ACL %+v, want the owner's digest alone", p, acl)
		}
	}
	snap := func() {
		for _, p := range walk(t, ownerConn, top) {
			mu.Lock()
			fresh := !seen[p]
			seen[p] = true
			mu.Unlock()
			if fresh {
				ownerOnly(p)
			}
		}
	}

	// Busy: a plain task, one with a key, a batch, one that fails and is
	// retried, a cancel, a schedule, a cordon, a followed task and junk
	// moved to the deadletter.
	if r := run("", "submit", "--wait", "--", "echo", "secret-output"); r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	if r := run("", "submit", "--key", "k1", "--env", "SECRET=v", "--", "true"); r.code != 0 {
		t.Fatalf("submit --key: %+v", r)
	}
	if r := run(strings.Repeat(`{"cmd":["sleep","1"]}`+"\n", 8), "submit", "-f", "-"); r.code != 0 {
		t.Fatalf("submit -f: %+v", r)
	}
	// Tasks no worker may take stay queued, items and manifest alike.
	if r := run(strings.Repeat(`{"cmd":["true"],"on":{"gpu":"true"}}`+"\n", 3), "submit", "-f", "-"); r.code != 0 {
		t.Fatalf("submit -f: %+v", r)
	}
	hasPart := func(dir, part string) bool {
		mu.Lock()
		defer mu.Unlock()
		for p := range seen {
			if strings.HasPrefix(p, root+dir) && strings.Contains(path.Base(p), part) {
				return true
			}
		}
		return false
	}
	waitFor(t, 30*time.Second, "a queued item", func() bool { snap(); return hasPart("/queue/", "01") })
	r := run("", "submit", "--retries", "1", "--", "false")
	failed := strings.TrimSpace(r.stdout)
	if r.code != 0 {
		t.Fatalf("submit false: %+v", r)
	}
	if r := run("", "wait", failed); r.code == 0 {
		t.Fatalf("wait false: %+v", r)
	}
	if r := run("", "retry", failed); r.code != 0 {
		t.Fatalf("retry: %+v", r)
	}
	if r := run("", "schedule", "add", "tick", "--cron", "* * * * * *", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	if r := run("", "workers", "cordon", "w2"); r.code != 0 {
		t.Fatalf("cordon: %+v", r)
	}
	r = run("", "submit", "--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; sleep 0.3; done")
	slow := strings.TrimSpace(r.stdout)
	// Follow it while snapshots are taken: follow/<id>, its assignment and
	// the workers' registrations exist only meanwhile.
	followDone := make(chan result, 1)
	go func() { followDone <- droverEnv(t, root, "", env, "logs", "-f", slow) }()
	waitFor(t, 30*time.Second, "a follower and a running task", func() bool {
		snap()
		mu.Lock()
		defer mu.Unlock()
		return seen[root+"/follow/"+slow]
	})
	r = run("", "submit", "--", "sleep", "30")
	sleeper := strings.TrimSpace(r.stdout)
	waitFor(t, 30*time.Second, "the sleeper running", func() bool {
		snap()
		return strings.Contains(run("", "status", sleeper).stdout, "running")
	})
	if r := run("", "cancel", sleeper); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	// Junk where the leader reads queued tasks goes to the deadletter.
	bucketed := walk(t, ownerConn, root+"/queue")
	junkDir := root + "/queue"
	for _, p := range bucketed {
		if strings.Count(strings.TrimPrefix(p, root+"/queue"), "/") == 2 {
			junkDir = p
		}
	}
	if junkDir == root+"/queue" {
		t.Fatalf("no queue bucket to put junk in: %v", bucketed)
	}
	if _, err := ownerConn.Create(junkDir+"/01HZZZZZZZZZZZZZZZZZZZZZZZ", []byte("junk"), 0, zk.DigestACL(zk.PermAll, "owner", "s3cret")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "junk in the deadletter", func() bool {
		snap()
		kids, _, _ := ownerConn.Children(root + "/deadletter")
		return len(kids) > 0
	})
	select {
	case <-followDone:
	case <-time.After(60 * time.Second):
		t.Fatal("logs -f did not end")
	}
	waitFor(t, 30*time.Second, "a schedule run", func() bool {
		snap()
		return strings.Contains(run("", "schedule", "history", "tick").stdout, "succeeded")
	})
	snap()

	var paths []string
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, want := range []string{top, top + "/nested", root, root + "/epoch", root + "/election", root + "/workers/w1",
		root + "/cordons/w2", root + "/schedules/tick", root + "/follow/" + slow} {
		if !seen[want] {
			t.Errorf("the walk never saw %s", want)
		}
	}
	kinds := map[string]bool{}
	for _, p := range paths {
		rel := strings.TrimPrefix(p, root+"/")
		first, _, _ := strings.Cut(rel, "/")
		kinds[first] = true
	}
	t.Logf("%d znodes seen; top-level kinds %v", len(paths), kinds)
	if testing.Verbose() {
		t.Logf("%s", strings.Join(paths, "\n"))
	}

	mallory, anon := zkAs(t, "mallory:guess"), zkAs(t, "")
	checked := 0
	for _, p := range paths {
		if ok, _, err := ownerConn.Exists(p); err != nil || !ok {
			continue // an ephemeral or pruned record: its ACL was checked when seen
		}
		checked++
		ownerOnly(p)
		for name, c := range map[string]*zk.Conn{"mallory": mallory, "anonymous": anon} {
			if _, _, err := c.Get(p); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("%s reads %s: %v", name, p, err)
			}
			if _, _, err := c.Children(p); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("%s lists %s: %v", name, p, err)
			}
			if _, err := c.Set(p, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("%s writes %s: %v", name, p, err)
			}
			if _, err := c.Create(p+"/intruder", nil, 0, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("%s creates under %s: %v", name, p, err)
			}
			if p != top {
				if err := c.Delete(p, -1); !errors.Is(err, zk.ErrNoAuth) && !errors.Is(err, zk.ErrNotEmpty) {
					t.Errorf("%s deletes %s: %v", name, p, err)
				}
			}
			if _, _, err := c.GetACL(p); err == nil {
				// ZooKeeper lets getACL only with READ or ADMIN.
				t.Errorf("%s reads the ACL of %s", name, p)
			}
		}
	}
	t.Logf("%d live znodes checked", checked)
	if ok, _, _ := ownerConn.Exists(top); !ok {
		t.Fatal("the tree is gone")
	}
}
