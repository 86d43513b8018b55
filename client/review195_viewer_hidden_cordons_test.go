package client

import (
	"context"
	"testing"
)

// 6cfd8fc adds <root>/cordons, and f4a4ee5 makes ListWorkers (drover
// workers, the API's cluster, the dashboard) and Registrations (the wait
// hint of drover status) read it first. A cluster made by an older release
// has no cordons/; the first process of this release to open it makes it
// (store.Open's EnsurePath of Layout.Dirs), with that process's ACL. When
// that process was not given DROVER_ZK_AUTH_READONLY (a worker, say, the
// case the earlier viewer reviews keep working), the directory is hidden
// from the read-only identity, and store.Cordons returns ErrNoAuth from its
// listing: the viewer's whole listing of the workers fails, where README
// (Security) says a listing by the read-only identity skips what it may
// not read and says how many. No cordon is even set.
func TestReview195ViewerWorkersFailOnHiddenCordonsDir(t *testing.T) {
	v := newViewerCluster(t)
	owner := v.owner() // the tree, readable by the viewer
	v.worker("w1", nil, owner)
	// An older release's cluster: no cordons directory.
	if err := owner.Delete(owner.Layout().Cordons(), -1); err != nil {
		t.Fatal(err)
	}
	v.blind() // a process of this release without the read-only identity opens it
	vc := v.viewer()
	ws, skipped, err := vc.ListWorkers(context.Background())
	if err != nil {
		t.Fatalf("viewer's ListWorkers with cordons/ hidden from it: %v; want w1 listed (its cordon unknown, counted as skipped)", err)
	}
	if len(ws) != 1 || ws[0].ID != "w1" {
		t.Fatalf("viewer's ListWorkers: %+v (skipped %d), want w1", ws, skipped)
	}
	if _, _, err := vc.Registrations(context.Background()); err != nil {
		t.Fatalf("viewer's Registrations with cordons/ hidden from it: %v", err)
	}
}
