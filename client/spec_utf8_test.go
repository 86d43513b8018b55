package client

import (
	"context"
	"encoding/json"
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
	got, err := c.Status(context.Background(), res[0].ID)
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

// Two lines of a submit -f file with different keys that are not UTF-8
// ("job-\xfe", "job-\xff") are refused as bad input (exit 2), or make two
// tasks. The JSON decoder turns each invalid byte into U+FFFD before the
// key is checked (--key refuses such a key: want printable UTF-8), so both
// became "job-\uFFFD", and the second line got the first line's task,
// with Existing set. (Found by review.)
func TestReadSpecsKeysNotUTF8AreNotMerged(t *testing.T) {
	in := "{\"cmd\":[\"true\"],\"key\":\"job-\xfe\"}\n{\"cmd\":[\"false\"],\"key\":\"job-\xff\"}\n"
	specs, err := ReadSpecs(strings.NewReader(in))
	if err != nil {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line 1:") {
			t.Fatalf("ReadSpecs: %v, want ErrInvalid naming line 1", err)
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

// A \u escape of half a surrogate pair decodes as U+FFFD too: lines whose
// keys differ only there are refused, naming the line, as raw bytes that are
// not UTF-8 are. A whole pair, and an escaped backslash before a "u", are
// text and kept. (Found by review.)
func TestReadSpecsRefusesLoneSurrogates(t *testing.T) {
	for _, in := range []string{
		`{"cmd":["true"],"key":"job-\udcfe"}`,
		`{"cmd":["true"],"key":"job-\ud83d"}`,
		`{"cmd":["true"],"key":"job-\ud83dx"}`,
		`{"cmd":["true"],"env":{"A":"\ud83d\ud83d"}}`,
		`{"cmd":["echo","\\\udcff"]}`,
	} {
		_, err := ReadSpecs(strings.NewReader("{\"cmd\":[\"true\"]}\n" + in + "\n"))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line 2:") || !strings.Contains(err.Error(), "surrogate") {
			t.Errorf("ReadSpecs of %s: %v, want ErrInvalid naming line 2 and the surrogate", in, err)
		}
	}
	specs, err := ReadSpecs(strings.NewReader(`{"cmd":["echo","\\udcff","\u00e9"],"key":"job-\ud83d\ude00"}` + "\n"))
	if err != nil || specs[0].Key != "job-\U0001F600" || specs[0].Cmd[1] != `\udcff` || specs[0].Cmd[2] != "\u00e9" {
		t.Fatalf("ReadSpecs of a surrogate pair and an escaped backslash: %+v, %v", specs, err)
	}
}

// A spec decoded with json.Unmarshal (a Go program's own JSON) refuses text
// that is not UTF-8 as ReadSpecs does. (Found by review.)
func TestTaskSpecUnmarshalRefusesTextNotUTF8(t *testing.T) {
	for _, in := range []string{"{\"cmd\":[\"a\xffb\"]}", `{"cmd":["a\udcffb"]}`} {
		var s TaskSpec
		if err := json.Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("json.Unmarshal of %q: %+v, want an error", in, s)
		}
	}
}
