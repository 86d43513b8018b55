package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A command argument or env value that is not UTF-8 (a file name from
// argv, which Linux allows to be any bytes) is refused as bad input, or
// stored as given. JSON encoding turns each such byte into U+FFFD: the
// submit succeeded, and the task would run another command than the one
// given (printf 'a\xffb' ran as printf 'a\uFFFDb'). (Found by review.)
func TestSubmitOfNonUTF8ArgumentsIsRefusedOrKept(t *testing.T) {
	c, _ := newClient(t)
	spec := TaskSpec{Cmd: []string{"rm", "--", "file\xff.txt"}, Env: map[string]string{"MODE": "x\xfe"}}
	res, err := c.Submit(context.Background(), []TaskSpec{spec})
	if err != nil {
		// Refused: as bad input, naming the argument.
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "command argument 2") {
			t.Fatalf("submit of argv %q: %v, want ErrInvalid naming command argument 2", spec.Cmd, err)
		}
		return
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

// Every text of a spec that goes into the record is refused when it is not
// UTF-8, as bad input naming its field: the record's JSON would store
// another text. (Found by review.)
func TestTaskSpecRefusesTextNotUTF8(t *testing.T) {
	for _, c := range []struct {
		spec TaskSpec
		want string
	}{
		{TaskSpec{Cmd: []string{"printf", "a\xffb"}}, "command argument 1"},
		{TaskSpec{Cmd: []string{"\xff"}}, "command argument 0"},
		{TaskSpec{Cmd: []string{"true"}, Env: map[string]string{"MODE": "x\xfe"}}, "env MODE="},
		{TaskSpec{Cmd: []string{"true"}, Env: map[string]string{"M\xfe": "x"}}, "env name"},
		{TaskSpec{Cmd: []string{"true"}, On: map[string]string{"gpu": "\xff"}}, "label gpu="},
		{TaskSpec{Cmd: []string{"true"}, On: map[string]string{"g\xff": "1"}}, "label name"},
		{TaskSpec{Cmd: []string{"true"}, Name: "n\xff"}, "name"},
		{TaskSpec{Handler: "h\xff"}, "handler"},
		{TaskSpec{Cmd: []string{"true"}, Priority: "hi\xff"}, "priority"},
	} {
		_, err := c.spec.Task(time.Now())
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !strings.Contains(err.Error(), "not valid UTF-8") || strings.Contains(err.Error(), "\n") {
			t.Errorf("spec %+v: %v, want one line starting %q saying not valid UTF-8", c.spec, err, c.want)
		}
	}
	// Payload is bytes: any are kept.
	if _, err := (TaskSpec{Handler: "h", Payload: []byte{0xff, 0xfe}}).Task(time.Now()); err != nil {
		t.Errorf("payload of bytes not UTF-8: %v, want it kept", err)
	}
}
