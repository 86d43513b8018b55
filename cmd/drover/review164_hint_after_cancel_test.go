package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

type hintBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *hintBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *hintBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// 9fa77a7 let hintQueued's stop() return without waiting for its reads,
// guarding the print with a mutex and a stopped flag instead; but it
// dropped the check of the hint's context before printing (`ctx.Err() ==
// nil`). A wait ended by Ctrl-C or its --timeout (its context ended) while
// the hint's reads are in flight now prints "task X waits ...; still
// waiting" when they come back before stop() sets stopped (stop waits up
// to 100 ms for them): the wait says it is still waiting after it ended.
// Here the hint's listing of the workers is held at the proxy, the context
// the wait gives it ends, and the listing is let through: the hint
// prints, though its context ended before it knew what to say.
func TestReview164WaitHintPrintsAfterItsContextEnded(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker, no scheduler: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	lay, err := store.NewLayout(root)
	if err != nil {
		t.Fatal(err)
	}
	px := drovertest.StartProxy(t, zkAddr)
	px.HoldAt([]byte(lay.Workers()))
	octx, ocancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ocancel()
	st, err := store.Open(octx, store.Config{Servers: []string{px.Addr()}, Root: root, SessionTimeout: 10 * time.Second, MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := client.New(st)

	ctx, cancel := context.WithCancel(context.Background())
	var stderr hintBuffer
	stop := hintQueued(ctx, c, id, &stderr)
	select {
	case <-px.Held(): // the hint's listing of the workers, a second in
	case <-time.After(20 * time.Second):
		t.Fatal("the hint did not list the workers")
	}
	cancel() // the wait ended (Ctrl-C, its timeout)
	px.Release()
	printed := drovertest.Eventually(5*time.Second, func() bool { return stderr.String() != "" })
	stop()
	if printed {
		t.Errorf("the wait's queued hint printed after its context ended (the wait interrupted or timed out): %q", stderr.String())
	}
}
