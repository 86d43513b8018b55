package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by security review.

// TestDroppedRecordLogHidesEnvValues: with deadletter full, quarantine
// logs the first 200 bytes of the record it does away with. A task record
// that fails a check (a generation past MaxGen, a bad id) is still the
// submitter's JSON, env values included, and they then stand in the
// process's log, which the API and dashboard take care to show as "***".
func TestDroppedRecordLogHidesEnvValues(t *testing.T) {
	defer store.SetMaxDeadletters(0)()
	var logged bytes.Buffer
	log := zerolog.New(&logged)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: drovertest.NewRoot(),
		SessionTimeout: 2 * time.Second, Logger: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const secret = "hunter2-db-password"
	rec := []byte(`{"v":1,"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","env":{"DB_PASSWORD":"` + secret + `"},"cmd":["migrate"],"gen":99999}`)
	p := st.Layout().Queue() + "/x"
	if err := st.Create(p, rec); err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(p, rec, 0, errors.New("generation past MaxGen")); err != nil {
		t.Fatal(err)
	}
	if st.DeadlettersDropped() != 1 {
		t.Fatalf("dropped %d, want 1", st.DeadlettersDropped())
	}
	if strings.Contains(logged.String(), secret) {
		t.Fatalf("the log shows a task's env value:\n%s", logged.String())
	}
}

// A registration of a newer format (a newer worker's, mid-upgrade) is
// logged once, not at every read of the workers (review135's note).
func TestNewerRegistrationLoggedOnce(t *testing.T) {
	var logged drovertest.LogBuffer
	log := zerolog.New(&logged)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: drovertest.NewRoot(),
		SessionTimeout: 2 * time.Second, Logger: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.CreateEphemeral(ctx, st.Layout().Worker("w9"), []byte(`{"v":99,"id":"w9"}`)); err != nil {
		t.Fatal(err)
	}
	for range 3 { // as the leader reads it, at each change and term
		if _, err := st.Worker("w9"); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logged.String(), "registration of a newer format"); n != 1 {
		t.Fatalf("logged %d times over 3 reads, want once:\n%s", n, logged.String())
	}
}
