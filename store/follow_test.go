package store_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestDecodeLiveOutput(t *testing.T) {
	big := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", store.LiveTail+1)))
	for _, tc := range []struct {
		name, data string
		err        error
	}{
		{"empty: nothing published yet", "", nil},
		{"a record", `{"v":1,"task":"T","attempt":2,"worker":"w1","stdout":"aGkK","stdout_bytes":3}`, nil},
		{"junk", `not json`, store.ErrMalformed},
		{"no attempt", `{"v":1,"task":"T"}`, store.ErrMalformed},
		{"more bytes than it counts", `{"v":1,"task":"T","attempt":1,"stdout":"aGkK","stdout_bytes":2}`, store.ErrMalformed},
		// A later release may send more than this one's LiveTail.
		{"more than a tail", `{"v":1,"task":"T","attempt":2,"stdout":"aGkK","stdout_bytes":3,"stderr":"` + big + `","stderr_bytes":99999}`, nil},
		{"a newer format", `{"v":99}`, store.ErrUnsupportedVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := store.DecodeLiveOutput([]byte(tc.data))
			if !errors.Is(err, tc.err) || tc.err == nil && tc.data != "" && (o == nil || string(o.Stdout) != "hi\n" || o.Attempt != 2) {
				t.Fatalf("DecodeLiveOutput(%.40q) = %.80v, %v; want error %v", tc.data, o, err, tc.err)
			}
		})
	}
}

// FollowTask makes the follow znode, ephemeral, once (a second follower
// shares it), makes the directory on a cluster of an older release, and
// refuses a follower past MaxFollowers; PublishLiveOutput writes into it,
// and says ErrNoNode once the follower has gone.
func TestFollowTask(t *testing.T) {
	ctx := context.Background()
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	other := drovertest.OpenStore(t, root)
	lay := st.Layout()
	if err := st.Delete(lay.Follow(), -1); err != nil {
		t.Fatal(err)
	}
	id := store.NewTaskID(time.Now())
	if owned, err := st.FollowTask(ctx, id); err != nil || !owned {
		t.Fatalf("first follower: owned %v, %v", owned, err)
	}
	if owned, err := other.FollowTask(ctx, id); err != nil || owned {
		t.Fatalf("second follower: owned %v, %v; want the first's shared", owned, err)
	}
	o := &store.LiveOutput{Task: id, Attempt: 1, Worker: "w1", Stdout: []byte("hi\n"), StdoutBytes: 3}
	if err := other.PublishLiveOutput(o); err != nil {
		t.Fatal(err)
	}
	data, _, err := other.Get(lay.FollowNode(id))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.DecodeLiveOutput(data); err != nil || string(got.Stdout) != "hi\n" || got.StdoutBytes != 3 {
		t.Fatalf("published %+v, %v", got, err)
	}
	st.Close() // the follower leaves
	if err := other.PublishLiveOutput(o); !errors.Is(err, store.ErrNoNode) {
		t.Fatalf("publish after the follower left: %v; want ErrNoNode", err)
	}
	if _, err := other.FollowTask(ctx, "not/an/id"); err == nil {
		t.Fatal("FollowTask took a task id with slashes")
	}
	for i := range store.MaxFollowers {
		if err := other.Create(fmt.Sprintf("%s/F%025d", lay.Follow(), i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.FollowTask(ctx, store.NewTaskID(time.Now())); !errors.Is(err, store.ErrTooManyFollowers) {
		t.Fatalf("follower %d: %v; want ErrTooManyFollowers", store.MaxFollowers+1, err)
	}
}
