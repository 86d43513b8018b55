package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A key may be an alias of another (YAML's `*k :`): it names the aliased
// key's schedule, here a second time, which is refused as a name given
// twice is. readScheduleFile named the schedule after the anchor ("k"),
// one the file never names, and applied both.
func TestScheduleApplyAliasKeyIsTheNameItAliases(t *testing.T) {
	for _, body := range []string{
		"a:\n  cron: '@daily'\n  cmd: [x]\n'a':\n  cron: '@daily'\n  cmd: [y]\n",
		"&k a:\n  cron: '@daily'\n  cmd: [x]\n*k :\n  cron: '@daily'\n  cmd: [y]\n",
		"? &k a\n: {cron: '@daily', cmd: [x]}\n? *k\n: {cron: '@daily', cmd: [y]}\n",
	} {
		specs, err := readScheduleFile([]byte(body))
		if err == nil || !strings.Contains(err.Error(), `"a" already defined at line 1`) {
			var names []string
			for _, s := range specs {
				names = append(names, s.Name)
			}
			t.Errorf("%q: schedules %q, error %v; want refused, a named twice", body, names, err)
		}
	}
	// An alias of a name given once names that schedule.
	specs, err := readScheduleFile([]byte("a: {cron: '@daily', cmd: [&k c]}\n*k : {cron: '@daily', cmd: [y]}\n"))
	if err != nil || len(specs) != 2 || specs[0].Name != "a" || specs[1].Name != "c" {
		t.Errorf("a, and an alias of c: %d schedules (%q), %v; want a and c", len(specs), namesOf(specs), err)
	}
}

// manySchedules is a schedule file of schedules s0000 ... s(n-1), each
// with cron, and its names in its order.
func manySchedules(t *testing.T, n int, cron func(i int) string) (string, []string) {
	t.Helper()
	var b strings.Builder
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("s%04d", i)
		fmt.Fprintf(&b, "%s:\n  cron: %q\n  cmd: [./part.sh, %q]\n", names[i], cron(i), fmt.Sprint(i))
	}
	p := filepath.Join(t.TempDir(), "many.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, names
}

// scheduleCrons is every schedule under root with its cron.
func scheduleCrons(t *testing.T, root string) map[string]string {
	t.Helper()
	r := drover(t, root, "-o", "json", "schedule", "ls")
	var list []struct{ Name, Cron string }
	if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil {
		t.Fatalf("schedule ls: %+v (%v)", r, err)
	}
	out := map[string]string{}
	for _, s := range list {
		out[s.Name] = s.Cron
	}
	return out
}

// applyReport is what schedule apply said of each schedule: the lines it
// printed ("added NAME"), the names its error lists as not applied, and
// those it says may or may not have been.
type applyReport struct {
	lines             []string
	notApplied, doubt []string
}

func readApplyReport(stdout, stderr string) applyReport {
	var r applyReport
	r.lines = strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if stdout == "" {
		r.lines = nil
	}
	for _, part := range strings.Split(stderr, "; ") {
		part = strings.TrimSpace(part)
		if names, ok := strings.CutPrefix(part, "not applied: "); ok {
			r.notApplied = strings.Fields(names)
		}
		if names, ok := strings.CutPrefix(part, "may or may not have been applied: "); ok {
			r.doubt = strings.Fields(names)
		}
	}
	return r
}

// checkApplied checks what schedule apply of file (names, each new, with
// cron want) reported against what it left under root: every schedule
// printed as added is there, in the file's order; every one named as not
// applied is not; and each of names is one or the other, or said to be
// in doubt. It returns how many were added.
func checkApplied(t *testing.T, root string, names []string, want string, rep applyReport, out, stderr string) int {
	t.Helper()
	have := scheduleCrons(t, root)
	said := map[string]string{}
	last := -1
	for _, line := range rep.lines {
		name, ok := strings.CutPrefix(line, "added ")
		i := slices.Index(names, name)
		if !ok || i < 0 {
			t.Fatalf("a line %q; stdout %q", line, out)
		}
		if i < last {
			t.Errorf("%s printed after %s: not in the file's order; stdout %q", name, names[last], out)
		}
		last = i
		said[name] = "added"
		if have[name] != want {
			t.Errorf("%s printed as added, but its schedule is %q (want cron %q); stderr %q", name, have[name], want, stderr)
		}
	}
	for _, name := range rep.notApplied {
		if said[name] != "" {
			t.Errorf("%s both %s and not applied; stderr %q", name, said[name], stderr)
		}
		said[name] = "not applied"
		if _, ok := have[name]; ok {
			t.Errorf("%s named as not applied, but it was; stderr %q", name, stderr)
		}
	}
	for _, name := range rep.doubt {
		if said[name] != "" {
			t.Errorf("%s both %s and in doubt; stderr %q", name, said[name], stderr)
		}
		said[name] = "in doubt"
	}
	for _, name := range names {
		if said[name] == "" {
			t.Errorf("%s neither printed nor named as not applied (it is there: %v); stdout %q, stderr %q", name, have[name] != "", out, stderr)
		}
	}
	return len(rep.lines)
}

// schedule apply interrupted while many applies are in flight, over a
// slow link (their answers come after the interrupt): what it printed was
// applied, in the file's order, and what it names as not applied was not.
func TestScheduleApplyManyInterruptedSlow(t *testing.T) {
	root := newRoot()
	file, names := manySchedules(t, 300, func(int) string { return "0 2 * * *" })
	openStore(t, root) // the cluster's tree
	// Held from the create of s0150 on (its record's name, then its cron).
	r := interruptSlow(t, root, `"name":"s0150","cron"`, 300*time.Millisecond, 20*time.Second, "schedule", "apply", "-f", file)
	if !r.exited || r.code != 130 || !strings.Contains(r.stderr, "interrupted") {
		t.Fatalf("apply interrupted: %+v; want exit 130, interrupted", r)
	}
	rep := readApplyReport(r.stdout, r.stderr)
	if len(rep.doubt) > 0 {
		t.Errorf("in doubt over a link that answered: %q", r.stderr)
	}
	t.Logf("%d lines; stderr %.300q", len(rep.lines), r.stderr)
	if n := checkApplied(t, root, names, "0 2 * * *", rep, r.stdout, r.stderr); n == 0 || n == len(names) {
		t.Fatalf("%d of %d added: want the interrupt part-way; stdout %q, stderr %q", n, len(names), r.stdout, r.stderr)
	}
}

// The same over a link gone silent: the store is closed under the
// command; a write sent and never answered may have landed, and is not
// named as not applied.
func TestScheduleApplyManyInterruptedSilent(t *testing.T) {
	root := newRoot()
	file, names := manySchedules(t, 300, func(int) string { return "0 2 * * *" })
	openStore(t, root) // the cluster's tree
	r := interruptAt(t, root, `"name":"s0150","cron"`, 20*time.Second, "schedule", "apply", "-f", file)
	if !r.exited || r.code != 130 || !strings.HasPrefix(r.stderr, "drover: schedule apply: interrupted; ") {
		t.Fatalf("apply interrupted: %+v; want exit 130, interrupted", r)
	}
	t.Logf("stdout %d bytes; stderr %q", len(r.stdout), r.stderr[max(0, len(r.stderr)-900):])
	if n := checkApplied(t, root, names, "0 2 * * *", readApplyReport(r.stdout, r.stderr), r.stdout, r.stderr); n == len(names) {
		t.Fatalf("all %d added: want the interrupt part-way; stderr %q", n, r.stderr)
	}
}

// One schedule of many fails (its record does not decode, and no leader
// runs to move it aside): the others in flight end as they would, the
// ones applied are printed in the file's order, and the error names the
// one that failed and every one not applied, exit 1.
func TestScheduleApplyManyOneFails(t *testing.T) {
	root := newRoot()
	file, names := manySchedules(t, 300, func(int) string { return "0 2 * * *" })
	st := openStore(t, root)
	if err := st.Create(st.Layout().Schedule("s0020"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "schedule", "apply", "-f", file)
	if r.code != 1 || !strings.Contains(r.stderr, "schedule apply: s0020: ") {
		t.Fatalf("apply with s0020's record junk: %+v; want exit 1 naming s0020", r)
	}
	rep := readApplyReport(r.stdout, r.stderr)
	if len(rep.notApplied) == 0 || rep.notApplied[0] != "s0020" || len(rep.doubt) > 0 {
		t.Fatalf("not applied %q, in doubt %q; want s0020 first of those not applied; stderr %q", rep.notApplied, rep.doubt, r.stderr)
	}
	checkApplied(t, root, slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "s0020" }), "0 2 * * *",
		applyReport{rep.lines, rep.notApplied[1:], nil}, r.stdout, r.stderr)
	if data, _, err := st.Get(st.Layout().Schedule("s0020")); err != nil || string(data) != "{not json" {
		t.Fatalf("s0020's record: %q, %v; want it left as it was", data, err)
	}
}

// schedule apply prints a line for each schedule in the file's order,
// then --prune's removals in the order of their names, as text and as
// JSON, with --dry-run too.
func TestScheduleApplyManyInFileOrder(t *testing.T) {
	root := newRoot()
	n := 300
	// Every third is there already as the file has it, every third with
	// another spec; the rest are new; and x0 ... x19 are pruned.
	was, _ := manySchedules(t, n, func(i int) string { return []string{"0 2 * * *", "0 4 * * *", "0 2 * * *"}[i%3] })
	if r := drover(t, root, "schedule", "apply", "-f", was); r.code != 0 {
		t.Fatalf("apply: %+v", r)
	}
	for i := n - n/3; i < n; i++ {
		if r := drover(t, root, "schedule", "rm", fmt.Sprintf("s%04d", i)); r.code != 0 {
			t.Fatalf("rm: %+v", r)
		}
	}
	extra, _ := manySchedules(t, 20, func(int) string { return "@hourly" })
	data, err := os.ReadFile(extra)
	if err != nil {
		t.Fatal(err)
	}
	if r := droverIn(t, root, strings.ReplaceAll(string(data), "s00", "x00"), "schedule", "apply", "-f", "-"); r.code != 0 {
		t.Fatalf("apply: %+v", r)
	}
	file, names := manySchedules(t, n, func(int) string { return "0 2 * * *" })
	// The file's order is not the names': it is reversed.
	data, err = os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	var rev strings.Builder
	for i := len(lines) - 4; i >= 0; i -= 3 {
		rev.WriteString(strings.Join(lines[i:i+3], ""))
	}
	var want, wantJSON []string
	for i := n - 1; i >= 0; i-- {
		result := "unchanged"
		switch {
		case i >= n-n/3:
			result = "added" // over its tombstone
		case i%3 == 1:
			result = "updated"
		}
		want = append(want, result+" "+names[i])
		wantJSON = append(wantJSON, fmt.Sprintf(`{"schedule":%q,"result":%q}`, names[i], result))
	}
	for i := range 20 {
		want = append(want, fmt.Sprintf("removed x%04d", i))
		wantJSON = append(wantJSON, fmt.Sprintf(`{"schedule":"x%04d","result":"removed"}`, i))
	}
	would := strings.NewReplacer("added", "would add", "updated", "would update", "removed", "would remove")
	r := droverIn(t, root, rev.String(), "schedule", "apply", "--prune", "--dry-run", "-f", "-")
	if got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); r.code != 0 || !slices.Equal(got, strings.Split(would.Replace(strings.Join(want, "\n")), "\n")) {
		t.Fatalf("apply --prune --dry-run: exit %d, stderr %q, lines\n%s\nwant\n%s", r.code, r.stderr, r.stdout, would.Replace(strings.Join(want, "\n")))
	}
	r = droverIn(t, root, rev.String(), "-o", "json", "schedule", "apply", "--prune", "-f", "-")
	var got []json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
		t.Fatalf("apply --prune -o json: %+v (%v)", r, err)
	}
	var gotJSON []string
	for _, g := range got {
		var b bytes.Buffer
		if err := json.Compact(&b, g); err != nil {
			t.Fatal(err)
		}
		gotJSON = append(gotJSON, b.String())
	}
	if !slices.Equal(gotJSON, wantJSON) {
		t.Fatalf("apply --prune -o json:\n%s\nwant\n%s", strings.Join(gotJSON, "\n"), strings.Join(wantJSON, "\n"))
	}
	have := scheduleCrons(t, root)
	for _, name := range names {
		if have[name] != "0 2 * * *" {
			t.Errorf("%s after apply: %q", name, have[name])
		}
	}
	if len(have) != n {
		t.Errorf("%d schedules after apply --prune, want %d", len(have), n)
	}
}

// Two applies of the same file at once: each schedule is added by one and
// found unchanged by the other, and each prints in the file's order.
func TestScheduleApplyManyRacing(t *testing.T) {
	root := newRoot()
	file, names := manySchedules(t, 300, func(int) string { return "0 2 * * *" })
	openStore(t, root) // the cluster's tree
	var rs [2]result
	var wg sync.WaitGroup
	for i := range rs {
		wg.Go(func() { rs[i] = drover(t, root, "schedule", "apply", "-f", file) })
	}
	wg.Wait()
	added := map[string]int{}
	for _, r := range rs {
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if r.code != 0 || len(lines) != len(names) {
			t.Fatalf("apply, two at once: %+v", r)
		}
		for i, line := range lines {
			result, name, _ := strings.Cut(line, " ")
			if name != names[i] || result != "added" && result != "unchanged" {
				t.Fatalf("line %d %q of apply, two at once: want %s added or unchanged", i+1, line, names[i])
			}
			if result == "added" {
				added[name]++
			}
		}
	}
	for _, name := range names {
		if added[name] != 1 {
			t.Errorf("%s added %d times by two applies at once, want once", name, added[name])
		}
	}
	if have := scheduleCrons(t, root); len(have) != len(names) {
		t.Errorf("%d schedules, want %d", len(have), len(names))
	}
}

// schedule apply --prune interrupted while many removals are in flight,
// their answers coming after the interrupt: what it printed as removed is
// gone, and what it names as not removed is there.
func TestScheduleApplyPruneInterruptedSlow(t *testing.T) {
	root := newRoot()
	file, names := manySchedules(t, 200, func(int) string { return "0 2 * * *" })
	if r := drover(t, root, "schedule", "apply", "-f", file); r.code != 0 {
		t.Fatalf("apply: %+v", r)
	}
	keep := filepath.Join(t.TempDir(), "keep.yaml")
	if err := os.WriteFile(keep, []byte("keep:\n  cron: '@daily'\n  cmd: [x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Held from the tombstone of s0100 on.
	r := interruptSlow(t, root, `"name":"s0100"`, 300*time.Millisecond, 20*time.Second, "schedule", "apply", "--prune", "-f", keep)
	// (Before it, a line says keep's runs will wait: no worker runs here.)
	r.stderr = strings.TrimPrefix(r.stderr, "drover: schedule keep's runs will wait for a worker: none is registered\n")
	if !r.exited || r.code != 130 || !strings.HasPrefix(r.stderr, "drover: schedule apply --prune: interrupted; not removed: ") {
		t.Fatalf("apply --prune interrupted: %+v; want exit 130, interrupted", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if lines[0] != "added keep" {
		t.Fatalf("first line %q, want added keep", lines[0])
	}
	var notRemoved []string
	for _, part := range strings.Split(r.stderr, "; ") {
		if rest, ok := strings.CutPrefix(part, "not removed: "); ok {
			notRemoved = strings.Fields(rest)
		}
	}
	have := scheduleCrons(t, root)
	said := map[string]bool{}
	for i, line := range lines[1:] {
		name, ok := strings.CutPrefix(line, "removed ")
		if !ok || name != names[i] {
			t.Fatalf("line %d %q: want removed %s, in the names' order; stdout %q", i+2, line, names[i], r.stdout)
		}
		if _, ok := have[name]; ok {
			t.Errorf("%s printed as removed, but it is there", name)
		}
		said[name] = true
	}
	for _, name := range notRemoved {
		if _, ok := have[name]; !ok || said[name] {
			t.Errorf("%s named as not removed: there %v, printed as removed %v", name, ok, said[name])
		}
		said[name] = true
	}
	for _, name := range names {
		if !said[name] {
			t.Errorf("%s neither printed as removed nor named as not removed; stderr %q", name, r.stderr)
		}
	}
	if n := len(lines) - 1; n <= 100 || n == len(names) {
		t.Errorf("%d of %d removed: want those of the held answers too, and not all; stderr %q", n, len(names), r.stderr)
	}
}
