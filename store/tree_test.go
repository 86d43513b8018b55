package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// countTree counts path and the znodes under it.
func countTree(t *testing.T, st *store.Store, path string) int {
	t.Helper()
	kids, err := st.Children(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 1
	for _, k := range kids {
		n += countTree(t, st, path+"/"+k)
	}
	return n
}

func TestDeleteTree(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root) // the cluster's directories
	// A directory of leaves over several multis, and leaves beside
	// directories at several depths.
	for i := range 2*store.MaxBatch + 17 {
		if err := st.Create(fmt.Sprintf("%s/flat-%d", root, i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/a", "/a/leaf", "/a/b", "/a/b/c", "/a/b/c/1", "/a/b/c/2", "/a/b/d", "/z"} {
		if err := st.Create(root+p, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := countTree(t, st, root)
	ctx := context.Background()
	// A sibling whose name starts like the root's is not part of its tree.
	sibling := root + "-x"
	if err := st.Create(sibling, nil); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"/", "", "queue", root + "/"} {
		if _, err := st.DeleteTree(ctx, bad); !errors.Is(err, store.ErrInvalidName) {
			t.Errorf("DeleteTree(%q): %v; want ErrInvalidName", bad, err)
		}
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.DeleteTree(canceled, root); !errors.Is(err, context.Canceled) {
		t.Fatalf("DeleteTree with a canceled context: %v; want context.Canceled", err)
	}
	if got := countTree(t, st, root); got != want {
		t.Fatalf("a canceled DeleteTree deleted %d znodes", want-got)
	}

	n, err := st.DeleteTree(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("DeleteTree reported %d znodes deleted; the tree had %d", n, want)
	}
	if ok, _, err := st.Exists(root); err != nil || ok {
		t.Fatalf("%s after DeleteTree: exists=%v err=%v", root, ok, err)
	}
	if n, err := st.DeleteTree(ctx, root); n != 0 || err != nil {
		t.Fatalf("DeleteTree of a missing path: %d, %v; want 0, nil", n, err)
	}
	if ok, _, err := st.Exists(sibling); err != nil || !ok {
		t.Fatalf("sibling %s after DeleteTree: exists=%v err=%v", sibling, ok, err)
	}
	if _, err := st.DeleteTree(ctx, sibling); err != nil {
		t.Fatal(err)
	}
}
