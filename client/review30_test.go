package client

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Two lines of a submit -f file with different keys that are not UTF-8
// ("job-\xfe", "job-\xff") are refused as bad input (exit 2), or make two
// tasks. The JSON decoder turns each invalid byte into U+FFFD before the
// key is checked (--key refuses such a key: want printable UTF-8), so both
// became "job-\uFFFD", and the second line got the first line's task,
// with Existing set. (review30)
func TestReadSpecsKeysNotUTF8AreNotMerged(t *testing.T) {
	in := "{\"cmd\":[\"true\"],\"key\":\"job-\xfe\"}\n{\"cmd\":[\"false\"],\"key\":\"job-\xff\"}\n"
	specs, err := ReadSpecs(strings.NewReader(in))
	if err != nil {
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("ReadSpecs: %v, want ErrInvalid", err)
		}
		return // refused as bad input: fine
	}
	c, _ := newClient(t)
	res, err := c.Submit(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	if res[1].ID == res[0].ID || res[1].Existing {
		t.Fatalf("keys %q and %q read as %q and %q: the second line's submit returned the first line's task %+v",
			"job-\xfe", "job-\xff", specs[0].Key, specs[1].Key, res[1])
	}
}
