package client

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A command argument or env value that is not UTF-8 (a file name from
// argv, which Linux allows to be any bytes) is refused as bad input, or
// stored as given. JSON encoding turns each such byte into U+FFFD: the
// submit succeeded, and the task would run another command than the one
// given (printf 'a\xffb' ran as printf 'a\uFFFDb'). (review30)
func TestSubmitOfNonUTF8ArgumentsIsRefusedOrKept(t *testing.T) {
	c, _ := newClient(t)
	spec := TaskSpec{Cmd: []string{"rm", "--", "file\xff.txt"}, Env: map[string]string{"MODE": "x\xfe"}}
	res, err := c.Submit(context.Background(), []TaskSpec{spec})
	if err != nil {
		return // refused: fine
	}
	got, err := c.Status(res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmd[2] != spec.Cmd[2] || got.Env["MODE"] != spec.Env["MODE"] {
		t.Fatalf("submit accepted argv %q env MODE=%q and stored argv %q env MODE=%q: the task runs something other than what was submitted",
			spec.Cmd, spec.Env["MODE"], got.Cmd, got.Env["MODE"])
	}
}

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
