package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// event waits up to 10 s for a watch's one event.
func event(t *testing.T, what string, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no event in 10 s", what)
		return store.Event{}
	}
}

// The store's watches deliver what fired them (the path, whether the znode
// went) and, when the store closes while they wait, ErrClosed: callers take
// an Err as "re-read", and ErrClosed as "stop".
func TestWatchEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: drovertest.NewRoot(),
		SessionTimeout: drovertest.SessionTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := st.Layout().Queue()
	p := dir + "/w"

	_, _, gone, err := st.ExistsW(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(p, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if ev := event(t, "exists watch, znode created", gone); ev.Path != p || ev.Deleted || ev.Err != nil {
		t.Fatalf("exists watch at create: %+v", ev)
	}

	_, _, data, err := st.GetW(p)
	if err != nil {
		t.Fatal(err)
	}
	_, _, kids, err := st.ListW(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(p, -1); err != nil {
		t.Fatal(err)
	}
	if ev := event(t, "data watch, znode deleted", data); ev.Path != p || !ev.Deleted || ev.Err != nil {
		t.Fatalf("data watch at delete: %+v", ev)
	}
	if ev := event(t, "list watch, child deleted", kids); ev.Path != dir || ev.Deleted || ev.Err != nil {
		t.Fatalf("list watch at a child's delete: %+v", ev)
	}

	// Left waiting on a quiet tree when the store closes: each ends with
	// ErrClosed.
	if err := st.Create(p, nil); err != nil {
		t.Fatal(err)
	}
	_, _, w1, err := st.GetW(p)
	if err != nil {
		t.Fatal(err)
	}
	_, _, w2, err := st.ListW(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, _, w3, err := st.ExistsW(p)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, w := range []<-chan store.Event{w1, w2, w3} {
		if ev := event(t, "watch at Close", w); !errors.Is(ev.Err, store.ErrClosed) {
			t.Fatalf("watch at Close: %+v, want ErrClosed", ev)
		}
	}
}
