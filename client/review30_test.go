package client

import (
	"context"
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
