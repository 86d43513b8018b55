package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// The decoders read whatever is in ZooKeeper, written by anyone: they must
// return an error, never panic, and what they accept must encode again.

func FuzzDecodeTask(f *testing.F) {
	good, _ := Encode(&Task{ID: ulid.Make().String(), Cmd: []string{"echo", "hi"}, Priority: PriorityHigh,
		Timeout: MillisOf(time.Second), On: map[string]string{"a": "b"}, History: []Attempt{{N: 1}}})
	f.Add(good)
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":2,"id":"x"}`))
	f.Add([]byte(`{"v":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","cmd":["x"],"priority":"urgent"}`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		task, err := DecodeTask(data)
		if err != nil {
			return
		}
		if _, err := Encode(task); err != nil && len(data) < MaxRecordSize {
			t.Fatalf("decoded task does not encode: %v", err)
		}
	})
}

func FuzzDecodeWorker(f *testing.F) {
	good, _ := Encode(&WorkerInfo{ID: "w1", Capacity: 4, Labels: map[string]string{"gpu": "true"}})
	f.Add(good)
	f.Add([]byte(`{"v":1,"id":"../x"}`))
	f.Add([]byte(`{"v":1,"id":"w1","capacity":-5}`))
	f.Add([]byte(`{"v":1,"id":"w1","capacity":40000}`))
	f.Add([]byte(`{"v":1,"id":"w1","capacity":4,"prefetch":-3}`))
	f.Add([]byte(`{"v":1,"id":"w1","capacity":9000,"prefetch":9000}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := DecodeWorker(data)
		if err == nil && ValidateNodeName(w.ID) != nil {
			t.Fatalf("accepted worker id %q", w.ID)
		}
		if err == nil && (w.Capacity < 0 || w.Capacity > MaxCapacity) {
			t.Fatalf("capacity %d: want 0 to %d", w.Capacity, MaxCapacity)
		}
		if err == nil && (w.Prefetch < 0 || w.Capacity+w.Prefetch > MaxCapacity) {
			t.Fatalf("capacity %d, prefetch %d: want prefetch 0 to %d", w.Capacity, w.Prefetch, MaxCapacity-w.Capacity)
		}
	})
}

func FuzzDecodeSchedule(f *testing.F) {
	good, _ := Encode(&Schedule{Name: "nightly", Cron: "0 2 * * *", Catchup: CatchupAll, Task: Task{Cmd: []string{"x"}},
		CreatedAt: time.Now().UTC(), Active: []ScheduleRun{{Slot: time.Now().UTC(), Task: ulid.Make().String()}}})
	f.Add(good)
	f.Add([]byte(`{"v":1,"name":"a/b","task":{"cmd":["x"]}}`))
	f.Add([]byte(`{"v":1,"name":"a","task":{"cmd":["x"]},"created_at":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"v":1,"name":"a","removed":true,"created_at":"0001-01-01T00:00:00Z","active":[{"task":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSchedule(data)
		if err != nil {
			return
		}
		if ValidateNodeName(s.Name) != nil {
			t.Fatalf("accepted schedule name %q", s.Name)
		}
		if s.Removed { // a tombstone: the leader only deletes it
			if !reflect.DeepEqual(*s, Schedule{V: s.V, Name: s.Name, Removed: true}) {
				t.Fatalf("a tombstone carries more than its name: %+v", s)
			}
			return
		}
		// What the leader does with an accepted record must not panic.
		SlotTaskID(s.Name, s.CreatedAt, 0)
		if !s.LastSlot.IsZero() {
			SlotTaskID(s.Name, s.LastSlot, 3)
		}
		for _, r := range s.Active {
			Bucket(r.Task)
		}
	})
}

func FuzzParseAssignmentName(f *testing.F) {
	f.Add("01ARZ3NDEKTSV4RRFFQ69G5FAV.1")
	f.Add(".1")
	f.Add("x.99999999999999999999")
	f.Fuzz(func(t *testing.T, name string) {
		id, attempt, err := ParseAssignmentName(name)
		if err == nil && (attempt < 1 || ValidateTaskID(id) != nil || AssignmentName(id, attempt) != name) {
			t.Fatalf("%q parsed as %q %d", name, id, attempt)
		}
	})
}

func FuzzDecodeManifest(f *testing.F) {
	rec, _ := Encode(&Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Attempt: 2, Worker: "w1"})
	f.Add(encodeManifest([][]byte{rec, rec}))
	f.Add([]byte(`{"v":1,"tasks":[null,{}]}`))
	f.Add([]byte(`{"v":1,"tasks":[{"v":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","handler":"h"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tasks, err := DecodeManifest(data)
		if err != nil {
			return
		}
		for _, task := range tasks {
			if task == nil || ValidateTaskID(task.ID) != nil || task.Attempt < 1 {
				t.Fatalf("accepted %+v", task)
			}
		}
	})
}
