package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
)

func TestTaskRoundTrip(t *testing.T) {
	code := 3
	in := &Task{ID: ulid.Make().String(), Name: "backup", Cmd: []string{"./backup.sh", "/data"},
		Env: map[string]string{"A": "1"}, Retries: 2, Timeout: MillisOf(time.Minute),
		On: map[string]string{"gpu": "true"}, Priority: PriorityHigh, SubmittedAt: time.Unix(1700000000, 0).UTC(),
		State: StateFailed, Attempt: 2, ExitCode: &code,
		History: []Attempt{{N: 1, Worker: "w1", ExitCode: -1, Error: "worker lost", Lost: true}}}
	data, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"v":1`) || !strings.Contains(string(data), `"priority":"high"`) {
		t.Fatalf("encoding lacks version or priority name: %s", data)
	}
	out, err := DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	if out.ID != in.ID || out.Priority != PriorityHigh || *out.ExitCode != 3 || out.Timeout.Duration() != time.Minute ||
		len(out.History) != 1 || !out.History[0].Lost || out.On["gpu"] != "true" {
		t.Fatalf("round trip changed the task: %+v", out)
	}
}

func TestDecodeRejects(t *testing.T) {
	id := ulid.Make().String()
	tests := []struct {
		name string
		data string
		want error
	}{
		{"garbage", "\x00\x01garbage", ErrMalformed},
		{"no version", `{"id":"` + id + `","cmd":["x"]}`, ErrMalformed},
		{"future version", `{"v":99,"id":"` + id + `","cmd":["x"]}`, ErrUnsupportedVersion},
		{"future version of another shape", `{"v":2,"id":7,"cmd":{"argv":["x"]}}`, ErrUnsupportedVersion},
		{"null version", `{"v":null,"id":"` + id + `","cmd":["x"]}`, ErrMalformed},
		{"version as text", `{"v":"1","id":"` + id + `","cmd":["x"]}`, ErrMalformed},
		{"bad id", `{"v":1,"id":"../x","cmd":["x"]}`, ErrMalformed},
		{"no command", `{"v":1,"id":"` + id + `"}`, ErrMalformed},
		{"wrong type", `{"v":1,"id":"` + id + `","cmd":"x"}`, ErrMalformed},
		{"bad priority", `{"v":1,"id":"` + id + `","cmd":["x"],"priority":"urgent"}`, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeTask([]byte(tc.data)); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncodeTooLarge(t *testing.T) {
	task := &Task{ID: ulid.Make().String(), Cmd: []string{"echo", strings.Repeat("x", MaxRecordSize)}}
	if _, err := Encode(task); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

// A task as large as submit accepts still encodes after its longest possible
// history: every attempt it may have, each with the longest worker id and an
// error text cut by AddAttempt.
func TestSpecLeavesRoomForHistory(t *testing.T) {
	task := &Task{ID: ulid.Make().String(), Cmd: []string{"echo", ""}}
	base, err := EncodeSpec(task)
	if err != nil {
		t.Fatal(err)
	}
	task.Cmd[1] = strings.Repeat("x", MaxSpecSize-len(base))
	if _, err := EncodeSpec(task); err != nil {
		t.Fatalf("a task of exactly MaxSpecSize: %v", err)
	}
	task.Cmd[1] += "x"
	if _, err := EncodeSpec(task); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte over MaxSpecSize: err %v, want ErrTooLarge", err)
	}
	now := time.Now()
	// Attempts that ran (failed or lost) and, among them, ones that never
	// started (no output, and no place among those that keep theirs).
	for n, ran, unstarted := 1, 0, 0; ran < MaxRetries+MaxLostAttempts || unstarted < MaxUnstarted; n++ {
		a := Attempt{N: n, Worker: strings.Repeat("w", MaxNameLen), StartedAt: now, FinishedAt: now,
			ExitCode: -1, Error: strings.Repeat("<", MaxAttemptError), Lost: n%2 == 0, // < takes 6 bytes encoded
			Stdout: strings.Repeat("\x1b", OutputTail), Stderr: strings.Repeat("&", OutputTail)}
		if unstarted < MaxUnstarted && (n%3 == 0 || ran == MaxRetries+MaxLostAttempts) {
			// As the leader and workers write them: no output, their own
			// short error.
			a.Lost, a.Unstarted, a.Stdout, a.Stderr, a.Error = false, true, "", "", "worker lost before it started the attempt"
			unstarted++
		} else {
			ran++
		}
		task.AddAttempt(a)
	}
	if e := task.History[0].Error; len(e) > MaxAttemptError/6+len("…") || !utf8.ValidString(e) {
		t.Fatalf("attempt error of %d bytes kept (valid UTF-8: %v)", len(e), utf8.ValidString(e))
	}
	for i, a := range task.History {
		ranAfter := 0
		for _, b := range task.History[i+1:] {
			if !b.Unstarted {
				ranAfter++
			}
		}
		want := 0
		if !a.Unstarted && ranAfter < AttemptsWithTail {
			want = AttemptTail / 6
		}
		if o := a.Stdout; len(o) != want || len(a.Stderr) != want || !utf8.ValidString(o) {
			t.Fatalf("attempt %d of %d kept %d bytes of stdout, %d of stderr (valid UTF-8: %v)", i+1, len(task.History), len(o), len(a.Stderr), utf8.ValidString(o))
		}
	}
	task.Stdout, task.Stderr = strings.Repeat("o", OutputTail), strings.Repeat("e", OutputTail) // the result's own tails
	if _, err := Encode(task); err != nil {
		t.Fatalf("longest history does not fit: %v", err)
	}
}

func TestShouldRetry(t *testing.T) {
	fail := Attempt{ExitCode: 1}
	lost := Attempt{ExitCode: -1, Lost: true}
	tests := []struct {
		retries int
		limit   *int // a retry's (drover retry)
		history []Attempt
		want    bool
		end     State // when not retried
	}{
		{0, nil, []Attempt{fail}, false, StateFailed},
		{1, nil, []Attempt{fail}, true, ""},
		{1, nil, []Attempt{fail, fail}, false, StateDead},
		{0, nil, []Attempt{lost}, true, ""},
		{0, nil, []Attempt{lost, lost, lost}, true, ""},
		{1, nil, []Attempt{lost, fail, lost}, true, ""},
		// Retried after failing with no retries: one more attempt, and
		// its failure ends the task as its first did.
		{0, ptr(1), []Attempt{fail, fail}, false, StateFailed},
		// Retried after its retries were used up: dead again.
		{2, ptr(3), []Attempt{fail, fail, fail, fail}, false, StateDead},
		// Cancelled while queued with retries left, retried: the retry's
		// one attempt failed, its retries were not used up.
		{2, ptr(0), []Attempt{fail}, false, StateFailed},
		{2, ptr(0), []Attempt{lost}, true, ""},
	}
	for i, tc := range tests {
		task := &Task{Retries: tc.retries, RetryLimit: tc.limit, History: tc.history}
		if got := task.ShouldRetry(); got != tc.want {
			t.Errorf("case %d: ShouldRetry = %v, want %v", i, got, tc.want)
		}
		if got := task.FailedState(); !tc.want && got != tc.end {
			t.Errorf("case %d: FailedState = %s, want %s", i, got, tc.end)
		}
		// Before a last attempt that failed, RetriesLeft said whether its
		// failure would queue the task again.
		if last := tc.history[len(tc.history)-1]; last == fail {
			before := &Task{Retries: tc.retries, RetryLimit: tc.limit, History: tc.history[:len(tc.history)-1]}
			if got := before.RetriesLeft() > 0; got != tc.want {
				t.Errorf("case %d: RetriesLeft before the last attempt = %d, but ShouldRetry after it = %v", i, before.RetriesLeft(), tc.want)
			}
		}
	}
	many := &Task{}
	for i := 0; i < MaxLostAttempts; i++ {
		many.History = append(many.History, lost)
	}
	if got := (&Task{Retries: 3, History: []Attempt{fail, lost, {Unstarted: true}}}).RetriesLeft(); got != 2 {
		t.Errorf("3 retries, one failure, a loss and an unstarted attempt: RetriesLeft = %d, want 2", got)
	}
	if many.ShouldRetry() {
		t.Errorf("a task that lost its worker %d times must not retry", MaxLostAttempts)
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"w1", "gpu-box.3", "a_b", "Ünïcode"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a/b", "..", "../x", "a b", "a\tb", "a\x00b", ".", strings.Repeat("x", MaxNameLen+1), "zookeeper"} {
		if err := ValidateName(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%q: accepted", bad)
		}
	}
	// "." is refused for what it is, not for a ".." it does not hold.
	if err := ValidateName("."); err == nil || strings.Contains(err.Error(), `".."`) {
		t.Errorf(`".": %v`, err)
	}
	// U+FFFD, or a byte that is no UTF-8, is named as the cause, not
	// "spaces or control characters" the name does not hold.
	for _, bad := range []string{"a\uFFFDb", "a\xffb"} {
		if err := ValidateName(bad); err == nil || !strings.Contains(err.Error(), "U+FFFD") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// A name ZooKeeper refuses in a path (it checks Java's UTF-16 chars) is no
// node name, though it may name a task or a label.
func TestValidateNodeName(t *testing.T) {
	for _, ok := range []string{"w1", "Ünïcode", "日本", "a\u00a1", "a\uf900", "a\uffef"} {
		if err := ValidateNodeName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"w-\U0001F600", "a\ue000", "a\uf8ff", "a\ufff0", "a\uffff", "a\u0085", "a\u007f", "a\xffb", "a/b", ""} {
		if err := ValidateNodeName(bad); !errors.Is(err, ErrInvalidName) {
			t.Errorf("%q: accepted", bad)
		}
	}
	if err := ValidateName("w-\U0001F600"); err != nil {
		t.Errorf("an emoji in a name kept in a record: %v", err)
	}
	if _, err := NewLayout("/drover-\U0001F600"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("root with an emoji: %v", err)
	}
}

func TestLayout(t *testing.T) {
	if _, err := NewLayout("drover"); err == nil {
		t.Error("relative root accepted")
	}
	if _, err := NewLayout("/a/../b"); err == nil {
		t.Error("root with .. accepted")
	}
	l, err := NewLayout("")
	if err != nil || l.Root != "/drover" {
		t.Fatalf("default root: %v %q", err, l.Root)
	}
	id := "01JD0000000000000000000000"
	if got := l.QueueItem(id); got != "/drover/queue/01JD00/00/"+id {
		t.Errorf("queue item %s", got)
	}
	if got := l.Result(id); got != "/drover/results/01JD00/00/"+id {
		t.Errorf("result %s", got)
	}
	if got := l.Assignment("w1", id, 2); got != "/drover/tasks/w1/"+id+".2" {
		t.Errorf("assignment %s", got)
	}
	task, attempt, err := ParseAssignmentName(id + ".12")
	if err != nil || task != id || attempt != 12 {
		t.Errorf("parse: %s %d %v", task, attempt, err)
	}
	for _, bad := range []string{id, id + ".0", id + ".x", id + ".1x", "x.1", ".1"} {
		if _, _, err := ParseAssignmentName(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestSortCandidates(t *testing.T) {
	got := SortCandidates([]string{"n_b-0000000010", "n_a-0000000002", "junk", "n_c-0000000003"})
	if len(got) != 3 || got[0].Node != "n_a-0000000002" || got[2].Node != "n_b-0000000010" {
		t.Fatalf("order %+v", got)
	}
}

func TestValidateTaskIDUpperCase(t *testing.T) {
	id := ulid.Make().String()
	if err := ValidateTaskID(id); err != nil {
		t.Fatal(err)
	}
	if err := ValidateTaskID(strings.ToLower(id)); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("lower-case id accepted: %v", err)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	var recs [][]byte
	var want []*Task
	for i := range 3 {
		task := &Task{ID: ulid.Make().String(), Cmd: []string{"echo", strings.Repeat("x", i)}, Attempt: i + 1,
			State: StateAssigned, Worker: "w1", Reg: 7}
		data, err := Encode(task)
		if err != nil {
			t.Fatal(err)
		}
		recs, want = append(recs, data), append(want, task)
	}
	got, err := DecodeManifest(encodeManifest(recs))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Attempt != want[i].Attempt || got[i].Cmd[1] != want[i].Cmd[1] || got[i].Reg != 7 {
			t.Fatalf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{``, `{}`, `{"v":1,"tasks":[{"v":1}]}`, `{"v":9,"tasks":[]}`, `{"v":1,"tasks":7}`, `{"v":1,"tasks":[null]}`, `{"tasks":[]}`} {
		if _, err := DecodeManifest([]byte(bad)); err == nil {
			t.Fatalf("%q decoded", bad)
		}
	}
}

// Clip and ClipTail bound the bytes a text takes in a record, escapes
// included: a text of <, & or control bytes takes six times its length.
func TestClipBoundsTheEncodedText(t *testing.T) {
	texts := []string{"", "plain", strings.Repeat("x", 5000), strings.Repeat("<>&", 2000), strings.Repeat("é", 3000),
		strings.Repeat("\x1b[31m", 900), strings.Repeat("\xff", 3000), strings.Repeat("a\u2028\"\\\n", 700)}
	for _, s := range texts {
		for _, n := range []int{0, 1, 5, 6, 100, 256, 4096} {
			for name, got := range map[string]string{"Clip": Clip(s, n), "ClipTail": ClipTail(s, n)} {
				b, err := json.Marshal(got)
				if err != nil {
					t.Fatal(err)
				}
				limit := n
				if name == "Clip" && got != s {
					limit = max(n, len("…")) // the mark itself, when nothing else fits
				}
				if len(b)-2 > limit {
					t.Errorf("%s(%.20q…, %d) takes %d bytes encoded", name, s, n, len(b)-2)
				}
				if utf8.ValidString(s) && !utf8.ValidString(got) {
					t.Errorf("%s(%.20q…, %d) cut a rune", name, s, n)
				}
				if name == "ClipTail" && !strings.HasSuffix(s, got) || name == "Clip" && !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
					t.Errorf("%s(%.20q…, %d) = %.20q…: not its end or start", name, s, n, got)
				}
				if encodedLen(s) <= n && got != s {
					t.Errorf("%s(%.20q…, %d) cut a text that fits", name, s, n)
				}
			}
		}
	}
}

func TestMayAllow(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		program  string
		want     bool
	}{
		{nil, "anything", true},
		{[]string{"/usr/bin/true"}, "", true}, // a handler's task: not a program
		{[]string{"/usr/bin/true"}, "echo", false},
		{[]string{"/usr/bin/true"}, "true", true}, // PATH may find it there
		{[]string{"/usr/bin/true"}, "/usr/bin/true", true},
		{[]string{"/usr/bin/true"}, "/usr/bin/../bin/true", true},
		{[]string{"/usr/bin/true"}, "/bin/true", false},
		{[]string{"/usr/bin/true"}, "./true", true}, // the worker's directory may be /usr/bin
		{[]string{"/opt/jobs/*"}, "/opt/jobs/backup.sh", true},
		{[]string{"/opt/jobs/*"}, "/opt/other/backup.sh", false},
		{[]string{"/opt/jobs/*"}, "backup.sh", true},
		// A relative program's directory must fit too: the worker's
		// directory ends the path before it (impl152).
		{[]string{"/opt/jobs/*"}, "jobs/backup.sh", true},
		{[]string{"/opt/jobs/*"}, "../jobs/backup.sh", true},
		{[]string{"/opt/jobs/*"}, "bin/backup.sh", false},
		// A name pattern admits a program given by name alone (as PATH
		// finds it), not one in a directory the task names.
		{[]string{"sh", "env"}, "/bin/sh", false},
		{[]string{"sh", "env"}, "/usr/bin/env", false},
		{[]string{"sh", "env"}, "env", true},
		{[]string{"sh", "env"}, "bash", false},
		{[]string{"*.sh"}, "./deploy.sh", false},
		{[]string{"*.sh"}, "deploy.sh", true},
		{[]string{"*.sh"}, "deploy.py", false},
	} {
		if got := MayAllow(tc.patterns, tc.program); got != tc.want {
			t.Errorf("MayAllow(%q, %q) = %v, want %v", tc.patterns, tc.program, got, tc.want)
		}
	}
}

func TestProgram(t *testing.T) {
	for _, tc := range []struct {
		task Task
		want string
	}{
		{Task{Cmd: []string{"echo", "hi"}}, "echo"},
		{Task{Cmd: []string{"echo hi | wc"}, Shell: true}, "/bin/sh"},
		{Task{Handler: "upper"}, ""},
	} {
		if got := tc.task.Program(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.task, got, tc.want)
		}
	}
}

// A task record with a negative retry generation, which no binary writes,
// is malformed: Enqueue would refuse to queue it again.
func TestDecodeTaskRefusesNegativeGen(t *testing.T) {
	data := []byte(`{"v":1,"id":"01JD0000000000000000000000","cmd":["true"],"state":"queued","gen":-1}`)
	if _, err := DecodeTask(data); !errors.Is(err, ErrMalformed) {
		t.Fatalf("decode a task of gen -1: %v, want ErrMalformed", err)
	} else if !strings.Contains(err.Error(), "generation") {
		t.Fatalf("decode a task of gen -1: %v, want it named", err)
	}
}

// Millis round up and back without overflowing at the longest duration: a
// timeout of 2562047h47m16.854775807s was refused as negative.
func TestMillisAtTheLongestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want Millis
	}{{0, 0}, {1, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2}, {math.MaxInt64, math.MaxInt64/Millis(time.Millisecond) + 1}} {
		if got := MillisOf(c.d); got != c.want {
			t.Errorf("MillisOf(%v) = %d, want %d", c.d, got, c.want)
		}
	}
	if got := MillisOf(math.MaxInt64).Duration(); got != math.MaxInt64 {
		t.Errorf("the longest duration back from millis: %v", got)
	}
	if got := Millis(1500).Duration(); got != 1500*time.Millisecond {
		t.Errorf("1500 millis: %v", got)
	}
}

// A schedule record with a negative starting deadline or task timeout,
// which no client writes, is malformed (the deadline was taken for none).
func TestDecodeScheduleRefusesNegativeDurations(t *testing.T) {
	for _, field := range []string{`"starting_deadline_ms":-1`, `"task":{"cmd":["true"],"timeout_ms":-1}`} {
		data := []byte(`{"v":1,"name":"s","cron":"@daily","created_at":"2026-12-03T00:00:00Z","task":{"cmd":["true"]},` + field + `}`)
		if _, err := DecodeSchedule(data); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "negative") {
			t.Errorf("schedule with %s: %v, want it malformed", field, err)
		}
	}
	ok := []byte(`{"v":1,"name":"s","cron":"@daily","created_at":"2026-12-03T00:00:00Z","task":{"cmd":["true"],"timeout_ms":5}}`)
	if _, err := DecodeSchedule(ok); err != nil {
		t.Errorf("a well-formed schedule: %v", err)
	}
}

// A schedule record whose task template a client would refuse to submit
// (written by hand) is malformed: each slot's task would be one DecodeTask
// refuses, or one too large to be written, the slot tried again at every
// tick. The checks are the client's own (Task.Validate, EncodeSpec).
// (Found by review.)
func TestDecodeScheduleRefusesATemplateAClientWouldRefuse(t *testing.T) {
	for what, task := range map[string]string{
		"env key no name":        `{"cmd":["true"],"env":{"BASH_ENV=x_NAME":"y"}}`,
		"too large to fire":      `{"cmd":["true"],"env":{"BIG":"` + strings.Repeat("x", MaxFiringBytes/2) + `"}}`,
		"key":                    `{"cmd":["true"],"key":"k"}`,
		"cmd and handler":        `{"cmd":["true"],"handler":"h"}`,
		"retries past max":       `{"cmd":["true"],"retries":1001}`,
		"bad label":              `{"cmd":["true"],"on":{"a b":"c"}}`,
		"NUL in argument":        `{"cmd":["true","a\u0000b"]}`,
		"NUL in a command's env": `{"cmd":["true"],"env":{"A":"x\u0000y"}}`,
	} {
		data := []byte(`{"v":1,"name":"s","cron":"@daily","created_at":"2026-12-03T00:00:00Z","task":` + task + `}`)
		if _, err := DecodeSchedule(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("template with %s: %v, want ErrMalformed", what, err)
		}
	}
	// What a client writes: the template stamped, its name the schedule's.
	ok := []byte(`{"v":1,"name":"s","cron":"@daily","created_at":"2026-12-03T00:00:00Z","task":{"v":1,"name":"s","cmd":["true"],"env":{"A":"b"},"retries":3}}`)
	if _, err := DecodeSchedule(ok); err != nil {
		t.Errorf("a well-formed schedule: %v", err)
	}
}

// A schedule record an earlier release's client wrote, in use, is no
// hand-written data: DecodeSchedule must read it after an upgrade, or the
// leader moves it to deadletter and the schedule is gone. CheckTemplate
// applies rules those clients did not have: a DROVER_ env name (refused
// since 21c448c), a command with a payload and a handler with shell
// (since f96b44d), a NUL byte in a handler's env (since 45fd24a; clients
// from 1ade078 wrote it, and a Go handler takes it: only a command's
// process cannot). The format version is 1 all along, so nothing tells
// these records from hand-written ones. It reads them now (CheckFireable);
// the client still refuses to write them (CheckTemplate). (Found by
// review.)
func TestDecodeScheduleReadsWhatEarlierClientsWrote(t *testing.T) {
	for what, task := range map[string]string{
		"DROVER_ env (drover schedule add --env DROVER_ZK=...)": `{"v":1,"name":"s","cmd":["drover","status"],"env":{"DROVER_ZK":"zk1:2181"}}`,
		"payload of a command (Go API)":                         `{"v":1,"name":"s","cmd":["true"],"payload":"eA=="}`,
		"shell of a handler (Go API)":                           `{"v":1,"name":"s","handler":"resize","shell":true}`,
		"NUL in a handler's env (Go API)":                       `{"v":1,"name":"s","handler":"resize","env":{"A":"x\u0000y"}}`,
	} {
		data := []byte(`{"v":1,"name":"s","cron":"@daily","catchup":"none","concurrency":"allow","created_at":"2026-12-01T00:00:00Z","keep_succeeded":10,"keep_failed":10,"task":` + task + `}`)
		rec, err := DecodeSchedule(data)
		if err != nil {
			t.Errorf("template with %s, as an earlier client wrote it: %v", what, err)
			continue
		}
		if err := rec.CheckTemplate(); err == nil {
			t.Errorf("template with %s: a client of this release would write it", what)
		}
	}
}

// A record whose env key is no variable name (written past the client's
// check) is malformed: "BASH_ENV=x_NAME" would set BASH_ENV while an
// allow-list matched its key. (Found by review.)
func TestDecodeRefusesAnEnvKeyThatIsNoName(t *testing.T) {
	for _, k := range []string{"BASH_ENV=$(id)X_NAME", "", "1X", "A B"} {
		data := []byte(`{"v":1,"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","cmd":["true"],"env":{` + strconv.Quote(k) + `:"v"}}`)
		if _, err := DecodeTask(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("env key %q: %v, want ErrMalformed", k, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// StartBy is the leader's to set, on a slot's task: it survives encoding
// and Clone, a submit or a template carrying it is refused, and it binds
// only a first attempt.
func TestStartBy(t *testing.T) {
	at := time.Date(2026, 12, 4, 5, 0, 1, 0, time.UTC)
	task := &Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Cmd: []string{"true"}, Attempt: 1, StartBy: at}
	data, err := Encode(task.Clone())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"start_by":"2026-12-04T05:00:01Z"`) {
		t.Fatalf("encoded %s: no start_by", data)
	}
	got, err := DecodeTask(data)
	if err != nil || !got.StartBy.Equal(at) || !got.StartByBinds() {
		t.Fatalf("decoded start_by %v (binds %v), %v: want %v, binding", got.StartBy, got.StartByBinds(), err, at)
	}
	if got.Attempt = 2; got.StartByBinds() {
		t.Fatal("start_by binds attempt 2")
	}
	// Unless every attempt before it never started: nor has the slot.
	got.History = []Attempt{{N: 1, Unstarted: true}}
	if !got.StartByBinds() {
		t.Fatal("start_by does not bind attempt 2 after an unstarted attempt 1")
	}
	if got.History[0].Unstarted = false; got.StartByBinds() {
		t.Fatal("start_by binds attempt 2 after attempt 1 ran")
	}
	if err := task.Validate(); err == nil {
		t.Fatal("a submitted task carries start_by")
	}
	if data, _ := Encode(&Task{ID: task.ID, Cmd: task.Cmd}); strings.Contains(string(data), "start_by") {
		t.Fatalf("encoded %s: start_by without one", data)
	}
}

// An older release's registration of more than MaxCapacity reads as
// MaxCapacity, what the leader places on it: `drover workers`, the API and
// the dashboard showed the registration's 40,000.
func TestDecodeWorkerHoldsCapacityToMax(t *testing.T) {
	w, err := DecodeWorker([]byte(`{"v":1,"id":"w1","capacity":40000}`))
	if err != nil {
		t.Fatal(err)
	}
	if w.Capacity != MaxCapacity {
		t.Fatalf("capacity %d, want %d", w.Capacity, MaxCapacity)
	}
}

// A registration's prefetch is held so that capacity and prefetch together
// stay within MaxCapacity (the assignments in its directory); a negative
// one is malformed.
func TestDecodeWorkerPrefetch(t *testing.T) {
	for _, tc := range []struct {
		data string
		want int
	}{
		{`{"v":1,"id":"w1","capacity":4}`, 0},
		{`{"v":1,"id":"w1","capacity":4,"prefetch":8}`, 8},
		{`{"v":1,"id":"w1","capacity":4,"prefetch":40000}`, MaxCapacity - 4},
		{`{"v":1,"id":"w1","capacity":40000,"prefetch":8}`, 0},
	} {
		w, err := DecodeWorker([]byte(tc.data))
		if err != nil {
			t.Fatalf("%s: %v", tc.data, err)
		}
		if w.Prefetch != tc.want {
			t.Errorf("%s: prefetch %d, want %d", tc.data, w.Prefetch, tc.want)
		}
	}
	if _, err := DecodeWorker([]byte(`{"v":1,"id":"w1","capacity":4,"prefetch":-1}`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("prefetch -1: %v, want ErrMalformed", err)
	}
}

// An allow pattern longer than MaxAllowPattern, which no worker registers,
// is malformed: the leader compiles every list it reads.
func TestDecodeWorkerAllowPatternLength(t *testing.T) {
	for _, n := range []int{MaxAllowPattern, MaxAllowPattern + 1} {
		data := fmt.Sprintf(`{"v":1,"id":"w1","capacity":4,"allow":["/%s"]}`, strings.Repeat("a", n-1))
		_, err := DecodeWorker([]byte(data))
		if long := n > MaxAllowPattern; long != errors.Is(err, ErrMalformed) || !long && err != nil {
			t.Fatalf("a pattern of %d bytes: %v", n, err)
		}
	}
}

// A root inside a cluster's own directories is refused: that cluster's
// leader took the records made there for malformed ones of its own
// (review133).
func TestNewLayoutRefusesRootInsideAClustersDirectories(t *testing.T) {
	for _, root := range []string{"/drover/tasks", "/drover/workers/x", "/a/b/queue", "/drover/epoch"} {
		if _, err := NewLayout(root); !errors.Is(err, ErrInvalidName) {
			t.Errorf("NewLayout(%q) = %v, want ErrInvalidName", root, err)
		}
	}
	// follow/ holds ephemeral znodes named after the tasks followed: a
	// cluster there (allowed before follow existed) is left alone.
	for _, root := range []string{"/tasks", "/drover", "/drover/teamA", "/queue/x", "/drover/follow"} {
		if _, err := NewLayout(root); err != nil {
			t.Errorf("NewLayout(%q): %v", root, err)
		}
	}
}

func TestDayOffset(t *testing.T) {
	for in, want := range map[string]bool{
		`{"at":"2026-01-01T00:00:00+24:00"}`: true,
		`{"at":"2026-01-01T00:00:00+23:60"}`: true,
		`{"at":"2026-01-01T00:00:00-24:00"}`: true,
		`{"at":"2026-01-01T00:00:00+23:59"}`: false,
		`{"at":"2026-01-01T00:00:00Z"}`:      false,
		`{"cmd":["date","+24:00"]}`:          true, // costs an encode, no more
		`"+24:00`:                            false,
		``:                                   false,
	} {
		if got := dayOffset([]byte(in)); got != want {
			t.Errorf("dayOffset(%s) = %v, want %v", in, got, want)
		}
	}
}
