package client

import (
	"context"
	"strings"
	"testing"
)

// TestListingStopsAtItsByteBudget: a listing holds every task it keeps
// until it returns, and what a slimmed task still holds (its command and
// variables) may be near the record's size limit: an API page of 1,000
// such tasks held a gigabyte (review170). With MaxBytes it keeps no more
// than that (and one task), the rest left unread as a read budget leaves
// it: Truncated, the newest first.
func TestListingStopsAtItsByteBudget(t *testing.T) {
	c, _ := newClient(t)
	big := strings.Repeat("x", 10<<10)
	var ids []string
	for range 10 {
		res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"echo", big}, On: map[string]string{"gpu": "none"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res[0].ID)
	}
	got, err := c.ListTasks(context.Background(), ListOptions{Limit: 100, MaxBytes: 30 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Tasks); n == 0 || n > 4 || !got.Truncated {
		t.Fatalf("a listing of 10 tasks of 10 KiB each under a 30 KiB budget kept %d (truncated %v)", n, got.Truncated)
	}
	for i, task := range got.Tasks {
		if want := ids[len(ids)-1-i]; task.ID != want {
			t.Errorf("task %d listed is %s, want the newest first (%s)", i, task.ID, want)
		}
	}
	all, err := c.ListTasks(context.Background(), ListOptions{Limit: 100})
	if err != nil || len(all.Tasks) != 10 || all.Truncated {
		t.Fatalf("without a byte budget: %d tasks, truncated %v, %v", len(all.Tasks), all.Truncated, err)
	}
}
