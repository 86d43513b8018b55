package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestInDoubtNamesTheLastTaskOfABatchWithARepeatedKey: a submit cut off
// with tasks in doubt names "the first and the last" of them when there
// are more than five (inDoubt, 1e99ec9), taking ids[0] and ids[len-1].
// But client.Submit's InFlightError.IDs holds one id per spec, and a spec
// that repeats an earlier spec's idempotency key carries that earlier
// task's id (unknownSpecs: dupOf). A batch of six keyed tasks whose last
// line repeats the first key is told "the next 7 may have been, ids A to
// A": the message names one task, though six were written and are in
// doubt, and the "range" it gives leaves five of them out.
func TestInDoubtNamesTheLastTaskOfABatchWithARepeatedKey(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--key", "warm", "--on", "gpu=none", "--", "true"); r.code != 0 { // the cluster's nodes, its buckets
		t.Fatalf("submit: %+v", r)
	}
	marker := "review118-" + strings.ReplaceAll(root, "/", "")
	var lines []string
	for i := range 6 {
		lines = append(lines, fmt.Sprintf(`{"cmd":["echo",%q,"%d"],"key":"k%d","on":{"gpu":"none"}}`, marker, i, i))
	}
	lines = append(lines, lines[0]) // the first key again (with its task: another would be refused)
	file := filepath.Join(t.TempDir(), "batch.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, root)
	// The nodes the batch's transaction writes under, made ahead, so that
	// one transaction writes it all (as in a cluster that ran a while).
	// A minute of windows, queue, result and key index buckets: the
	// batch's ids are of when the command runs, which a loaded machine
	// (make test) may hold back for seconds; a bucket missing would fail
	// the transaction, its reply dropped.
	next := ulid.Time(ulid.MustParse(store.NewTaskID(time.Now())).Time())
	for i := range 60 {
		id := store.IDAt(next.Add(time.Duration(i) * store.BucketWindow))
		if err := st.EnsureBuckets(id); err != nil {
			t.Fatal(err)
		}
		b1, b2 := store.Bucket(id)
		for _, dir := range []string{st.Layout().KeyIndex() + "/" + b1, st.Layout().KeyIndexBucket(b1, b2)} {
			if err := st.Create(dir, nil); err != nil && !errors.Is(err, store.ErrNodeExists) {
				t.Fatal(err)
			}
		}
	}
	for i := range 6 {
		if err := st.Create(st.Layout().KeyShard(store.KeyHash(fmt.Sprintf("k%d", i))), nil); err != nil && !errors.Is(err, store.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	before := drovertest.QueuedIDs(t, st)
	px := drovertest.StartProxy(t, zkAddr)
	px.DropRepliesAfter([]byte(marker))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", px.Addr(), "--root", root, "--session-timeout", "3s", "submit", "-f", file)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 20*time.Second, "the batch's write sent", px.Dropping)
	drovertest.WaitFor(t, 20*time.Second, "the batch written", func() bool { return len(drovertest.QueuedIDs(t, st)) == len(before)+6 })
	px.Freeze() // and the server stays away
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("submit: %v; stderr %q", err, errb.String())
	}
	var written []string
	for _, id := range drovertest.QueuedIDs(t, st) {
		if !slices.Contains(before, id) {
			written = append(written, id)
		}
	}
	slices.Sort(written)
	last := written[len(written)-1]
	if !strings.Contains(errb.String(), last) {
		t.Fatalf("submit of 6 keyed tasks (the 7th line repeats the first key), cut off: stderr %q; it names not the last of the 6 tasks in doubt (%s), all written: %v", errb.String(), last, written)
	}
}
