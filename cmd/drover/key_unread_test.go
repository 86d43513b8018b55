package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// A key's task that cannot be read to compare its spec (a connection lost,
// here a closed store) passed for one of the same spec, and nothing was
// said; now a line says the comparison could not be made. The submit stands.
func TestKeyOfATaskThatCannotBeReadSaysSo(t *testing.T) {
	root := newRoot()
	first := drover(t, root, "submit", "--key", "k1", "--on", "gpu=none", "--", "echo", "one")
	if first.code != 0 {
		t.Fatalf("submit: %+v", first)
	}
	id := strings.TrimSpace(first.stdout)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{zkAddr}, Root: root, SessionTimeout: 10 * time.Second, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(st)
	st.Close()
	spec := client.TaskSpec{Cmd: []string{"echo", "two"}, Key: "k1"}

	var stderr bytes.Buffer
	if err := noteOtherSpec(context.Background(), c, spec, id, &stderr); err != nil {
		t.Fatalf("noteOtherSpec: %v; want no error (the submit stands)", err)
	}
	if !strings.Contains(stderr.String(), "could not be read to compare its spec") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("stderr %q; want one line saying the task could not be read", stderr.String())
	}

	k := &keyCheck{c: c}
	if err := k.check(context.Background(), []client.TaskSpec{spec, spec}, []store.SubmitResult{{ID: id, Existing: true}, {ID: id, Existing: true}}); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	k.note(&stderr)
	if !strings.Contains(stderr.String(), "2 key(s) named tasks submitted before that could not be read") || k.err() != nil {
		t.Fatalf("keyCheck's note %q, err %v; want the 2 keys unread, no error", stderr.String(), k.err())
	}
}
