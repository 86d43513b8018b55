package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/drover-sched/drover/store"
)

func TestParseSpec(t *testing.T) {
	good := []struct{ spec, tz string }{
		{"0 2 * * *", ""}, {"*/5 * * * * *", ""}, {"@hourly", ""}, {"@every 90s", ""},
		{"0 2 * * *", "Europe/Berlin"}, {"CRON_TZ=America/New_York 0 9 * * 1-5", ""},
	}
	for _, g := range good {
		if _, err := ParseSpec(g.spec, g.tz); err != nil {
			t.Errorf("%q tz %q: %v", g.spec, g.tz, err)
		}
	}
	bad := []struct{ spec, tz, want string }{
		{"", "", "empty"}, {"61 * * * *", "", "cron spec"}, {"* * *", "", "cron spec"},
		{"0 2 * * *", "Mars/Olympus", "time zone"}, {"CRON_TZ=UTC 0 2 * * *", "UTC", "once"},
		{"0 0 30 2 *", "", "never fires"}, {"@fortnightly", "", "cron spec"},
		// A zone prefix alone panicked the cron library (and every leader
		// that read such a record).
		{"CRON_TZ=UTC", "", "needs a schedule"}, {"TZ=UTC", "", "needs a schedule"}, {"CRON_TZ=", "", "needs a schedule"},
		{"TZ=", "", "needs a schedule"}, {"CRON_TZ=Europe/Berlin ", "", "needs a schedule"}, {"CRON_TZ=UTC\t0 2 * * *", "", "cron spec"},
		// Each host's zone (no release took --tz Local).
		{"0 2 * * *", "Local", "IANA"},
	}
	for _, b := range bad {
		if _, err := ParseSpec(b.spec, b.tz); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q tz %q: err %v, want %q", b.spec, b.tz, err, b.want)
		}
		if _, compat, err := ReadSpec(b.spec, b.tz); err == nil || compat != nil {
			t.Errorf("stored %q tz %q: err %v, compat %v; want no release to fire it", b.spec, b.tz, err, compat)
		}
	}
	for _, l := range legacySpecs {
		if _, err := ParseSpec(l.spec, ""); err == nil || !strings.Contains(err.Error(), l.want) {
			t.Errorf("%q: err %v, want %q", l.spec, err, l.want)
		}
	}
}

// legacySpecs are specs a client no longer writes (ParseSpec refuses them
// with want) that earlier releases' clients wrote and their leaders fired
// every every, or else in the leader's own zone.
var legacySpecs = []struct {
	spec, want string
	every      time.Duration
}{
	// Refused since 45fd24a: the cron library's Every fires an interval
	// under a second every second, and drops a fraction of a second.
	{"@every 0s", "at least 1s", time.Second}, {"@every -5s", "at least 1s", time.Second},
	{"@every 500ms", "at least 1s", time.Second}, {"@every 1500ms", "whole seconds", time.Second},
	{"@every 2999ms", "whole seconds", 2 * time.Second}, {"CRON_TZ=UTC @every 1500ms", "whole seconds", time.Second},
	// Refused since 8bc3b3a: each host's own zone.
	{"CRON_TZ=Local 0 2 * * *", "IANA", 0}, {"TZ=Local 0 2 * * *", "IANA", 0}, {"CRON_TZ=Local 0 * * * *", "IANA", 0},
}

// A schedule an earlier release's client wrote, and its leader fired, is
// read as that leader read it: ReadSpec fires it as then and says it is
// read for compatibility only (ParseSpec's refusal); ParseSpec refused it,
// so the upgraded leader moved a schedule in use to deadletter.
func TestReadSpecFiresWhatEarlierReleasesFired(t *testing.T) {
	for _, l := range legacySpecs {
		s, compat, err := ReadSpec(l.spec, "")
		if err != nil || compat == nil || !strings.Contains(compat.Error(), l.want) {
			t.Errorf("stored %q: err %v, compat %v; want it read, for compatibility (%q)", l.spec, err, compat, l.want)
			continue
		}
		if l.every > 0 {
			if every, ok := s.(cron.ConstantDelaySchedule); !ok || every.Delay != l.every {
				t.Errorf("stored %q: %#v, want every %v", l.spec, s, l.every)
			}
			continue
		}
		var loc *time.Location
		switch s := s.(type) {
		case onceAWallTime:
			loc = s.loc
		case beyondFiveYears:
			loc = s.Schedule.(wallDays).Location
		}
		if loc != time.UTC {
			t.Errorf("stored %q: in zone %v, want UTC (leaders asked the library in UTC, whatever their hosts' zones)", l.spec, loc)
		}
	}
	for _, g := range []string{"@every 90s", "CRON_TZ=Europe/Berlin 0 2 * * *", "0 2 * * *"} {
		if _, compat, err := ReadSpec(g, ""); err != nil || compat != nil {
			t.Errorf("stored %q: err %v, compat %v; want it read as it stands", g, err, compat)
		}
	}
}

func TestSpecDefaultsToUTC(t *testing.T) {
	s, err := ParseSpec("0 2 * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	got := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if !got.Equal(time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("next %v, want 02:00 UTC", got)
	}
}

// slots lists the next n slots after from.
func slots(t *testing.T, spec, tz string, from time.Time, n int) []time.Time {
	t.Helper()
	s, err := ParseSpec(spec, tz)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for x := from; len(out) < n; {
		x = s.Next(x)
		out = append(out, x)
	}
	return out
}

func TestDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		spec string
		from time.Time
		want []string // UTC
	}{
		// 2026-03-29 02:00 CET becomes 03:00 CEST: 02:30 does not exist that day.
		{"spring forward skips the missing wall time", "30 2 * * *", time.Date(2026, 3, 27, 12, 0, 0, 0, berlin),
			[]string{"2026-03-28 01:30", "2026-03-30 00:30", "2026-03-31 00:30"}},
		// 2026-10-25 03:00 CEST becomes 02:00 CET: 02:30 happens twice; it runs once.
		{"fall back runs a fixed time once", "30 2 * * *", time.Date(2026, 10, 23, 12, 0, 0, 0, berlin),
			[]string{"2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30"}},
		// Hourly jobs run every real hour, including both 02:00s.
		{"fall back keeps every hour of an hourly job", "0 * * * *", time.Date(2026, 10, 25, 0, 30, 0, 0, berlin),
			[]string{"2026-10-24 23:00", "2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00"}},
		{"spring forward hourly", "0 * * * *", time.Date(2026, 3, 29, 0, 30, 0, 0, berlin),
			[]string{"2026-03-29 00:00", "2026-03-29 01:00", "2026-03-29 02:00"}},
	}
	for _, tc := range tests {
		// Stored times (a schedule's last slot, its creation) come back in
		// UTC: the slots must not depend on the zone they are given in.
		// From UTC the fall-back night ran 02:30 twice.
		for _, from := range []time.Time{tc.from, tc.from.UTC()} {
			t.Run(tc.name+" from "+from.Location().String(), func(t *testing.T) {
				got := slots(t, tc.spec, "Europe/Berlin", from, len(tc.want))
				for i, w := range tc.want {
					if !got[i].Equal(utc(w)) {
						t.Fatalf("slot %d = %v, want %s UTC (all: %v)", i, got[i].UTC(), w, got)
					}
				}
			})
		}
	}
}

func TestPlanSlots(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	every, err := ParseSpec("* * * * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		catchup  string
		deadline time.Duration
		last     time.Time
		now      time.Time
		fire     []int
		missed   int
		next     int
	}{
		{"on time", store.CatchupNone, 0, sec(0), sec(1), []int{1}, 0, 2},
		{"nothing due", store.CatchupNone, 0, sec(1), sec(1).Add(500 * time.Millisecond), nil, 0, 2},
		{"none skips missed", store.CatchupNone, 0, sec(0), sec(10), []int{8, 9, 10}, 7, 11},
		{"last runs those on time", store.CatchupLast, 0, sec(0), sec(10), []int{8, 9, 10}, 7, 11},
		{"all runs every one", store.CatchupAll, 0, sec(0), sec(5), []int{1, 2, 3, 4, 5}, 0, 6},
		{"all within the deadline", store.CatchupAll, 3 * time.Second, sec(0), sec(10), []int{7, 8, 9, 10}, 6, 11},
		{"last within its deadline", store.CatchupLast, 3 * time.Second, sec(0), sec(20).Add(-4 * time.Second), []int{14, 15, 16}, 13, 17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &store.Schedule{Catchup: tc.catchup, StartingDeadline: store.MillisOf(tc.deadline), LastSlot: tc.last}
			p := PlanSlots(every, rec, tc.now)
			if len(p.Fire) != len(tc.fire) {
				t.Fatalf("fire %v, want seconds %v", p.Fire, tc.fire)
			}
			for i, f := range tc.fire {
				if !p.Fire[i].Equal(sec(f)) {
					t.Fatalf("fire %v, want seconds %v", p.Fire, tc.fire)
				}
			}
			if p.MissedCount != tc.missed || !p.Next.Equal(sec(tc.next)) {
				t.Fatalf("missed %d next %v; want %d and second %d", p.MissedCount, p.Next, tc.missed, tc.next)
			}
			if len(tc.fire)+tc.missed > 0 && !p.Last.Equal(tc.now.Truncate(time.Second)) {
				t.Fatalf("last %v, want %v", p.Last, tc.now.Truncate(time.Second))
			}
		})
	}
}

// Catch-up last runs the newest of slots all late (an outage), unless past
// its deadline; none runs none of them.
func TestPlanSlotsLastRunsTheNewestLateSlot(t *testing.T) {
	minutely, err := ParseSpec("0 * * * * *", "")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	now := t0.Add(10*time.Minute + 30*time.Second) // 12:01 to 12:10 due, all late
	for _, c := range []struct {
		catchup  string
		deadline time.Duration
		fire     int
	}{{store.CatchupLast, 0, 1}, {store.CatchupLast, time.Minute, 1}, {store.CatchupLast, 20 * time.Second, 0}, {store.CatchupNone, 0, 0}} {
		p := PlanSlots(minutely, &store.Schedule{Catchup: c.catchup, StartingDeadline: store.MillisOf(c.deadline), LastSlot: t0}, now)
		if len(p.Fire) != c.fire || c.fire == 1 && !p.Fire[0].Equal(t0.Add(10*time.Minute)) || p.MissedCount != 10-c.fire {
			t.Errorf("catch-up %s, deadline %v: fire %v, missed %d; want %d fired (12:10)", c.catchup, c.deadline, p.Fire, p.MissedCount, c.fire)
		}
	}
}

func TestPlanSlotsBoundsCatchup(t *testing.T) {
	every, _ := ParseSpec("* * * * * *", "")
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	now := t0.Add(48 * time.Hour) // 172,800 slots missed
	p := PlanSlots(every, &store.Schedule{Catchup: store.CatchupAll, LastSlot: t0}, now)
	if len(p.Fire) > MaxCatchup || len(p.Missed) > MaxCatchup {
		t.Fatalf("fire %d missed %d: unbounded", len(p.Fire), len(p.Missed))
	}
	if p.Last.After(now) || p.Next.IsZero() {
		t.Fatalf("last %v next %v", p.Last, p.Next)
	}
	// A second plan from where the first stopped reaches now.
	p2 := PlanSlots(every, &store.Schedule{Catchup: store.CatchupAll, LastSlot: p.Last}, now)
	if !p2.Last.Equal(now) {
		t.Fatalf("second plan last %v, want %v", p2.Last, now)
	}
	// A walk whose bound falls on the newest slot due is not cut short.
	exact := t0.Add(maxScan * time.Second)
	if p := PlanSlots(every, &store.Schedule{Catchup: store.CatchupLast, LastSlot: t0}, exact); len(p.Fire) != 3 || !p.Fire[2].Equal(exact) {
		t.Fatalf("%d slots due, the newest now: fired %v", maxScan, p.Fire)
	}
	// Only the part that reaches now fires: all fires its newest
	// MaxCatchup, last its newest alone, none those on time. Each part
	// fired on its own before, 12 hours old slots among them.
	for _, c := range []struct {
		catchup string
		fire    int
	}{{store.CatchupAll, MaxCatchup}, {store.CatchupLast, 3}, {store.CatchupNone, 3}} { // none and last: those on time (OnTime)
		var fired []time.Time
		missed := 0
		for last := t0; !last.Equal(now); {
			p := PlanSlots(every, &store.Schedule{Catchup: c.catchup, LastSlot: last}, now)
			fired, missed, last = append(fired, p.Fire...), missed+p.MissedCount, p.Last
		}
		if len(fired) != c.fire || !fired[len(fired)-1].Equal(now) || now.Sub(fired[0]) >= time.Duration(c.fire)*time.Second ||
			len(fired)+missed != 48*3600 {
			t.Errorf("catch-up %s: fired %d (oldest %v), missed %d; want the newest %d of 172,800", c.catchup, len(fired), fired[0], missed, c.fire)
		}
	}
}

func TestSlotTaskIDDeterministic(t *testing.T) {
	slot := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	a, b := store.SlotTaskID("nightly", slot, 0), store.SlotTaskID("nightly", slot, 0)
	if a != b || store.ValidateTaskID(a) != nil {
		t.Fatalf("ids %s %s", a, b)
	}
	if store.SlotTaskID("nightly", slot.Add(time.Second), 0) == a || store.SlotTaskID("weekly", slot, 0) == a {
		t.Fatal("different slots share an id")
	}
	// A spilled id is as deterministic, and falls in the bucket spill
	// windows on.
	for spill := 1; spill <= 3; spill++ {
		id := store.SlotTaskID("nightly", slot, spill)
		if id != store.SlotTaskID("nightly", slot, spill) || id == a {
			t.Fatalf("spill %d: id %s", spill, id)
		}
		b1, b2 := store.Bucket(id)
		w1, w2 := store.Bucket(store.IDAt(slot.Add(time.Duration(spill) * store.BucketWindow)))
		if b1+b2 != w1+w2 {
			t.Fatalf("spill %d: bucket %s%s, want %s%s", spill, b1, b2, w1, w2)
		}
	}
}

// FuzzParseSpec: no spec, stored in ZooKeeper by anyone, panics the
// leader's parser (ReadSpec); what a client may write (ParseSpec), the
// leader reads as it stands.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"0 2 * * *", "CRON_TZ=UTC", "TZ=Europe/Berlin 0 9 * * 1-5", "@every 90s", "@hourly", "*/5 * * * * *", "CRON_TZ= x",
		"@every 1500ms", "CRON_TZ=Local 0 * * * *"} {
		f.Add(s, "")
	}
	f.Add("0 2 * * *", "Europe/Berlin")
	f.Fuzz(func(t *testing.T, spec, tz string) {
		s, compat, err := ReadSpec(spec, tz)
		if err == nil {
			s.Next(time.Unix(0, 0))
		}
		if _, perr := ParseSpec(spec, tz); perr == nil && (err != nil || compat != nil) {
			t.Fatalf("%q tz %q: a client writes it, and the leader reads it with err %v, compat %v", spec, tz, err, compat)
		}
	})
}

// A legacy CRON_TZ=Local spec (ReadSpec, for compatibility) was a cron
// library schedule in time.Local, which the library takes as "the zone of
// the time asked from". The leader asks from the stored last slot, in UTC,
// and fired at 02:00 UTC whatever its host's zone (README said: in the
// leader's own zone); schedule ls and get (client.info) ask NextSlot from
// the client host's time.Now(), in its local zone, and showed 02:00 there:
// a client in New York listed a next slot five hours after the one the
// leader fires. Such a spec is now read in UTC. (Found by review.)
func TestLegacyLocalSpecListsTheSlotTheLeaderFires(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	now := last.Add(time.Hour)
	for _, spec := range []string{"CRON_TZ=Local 0 2 * * *", "TZ=Local 0 2 * * *"} {
		s, compat, err := ReadSpec(spec, "")
		if err != nil || compat == nil {
			t.Fatalf("%q: err %v, compat %v; want it read for compatibility", spec, err, compat)
		}
		rec := &store.Schedule{Catchup: store.CatchupNone, LastSlot: last}
		leader := PlanSlots(s, rec, now).Next
		if listed := NextSlot(s, rec, now.In(ny)); !listed.Equal(leader) {
			t.Errorf("%q: schedule ls on a host in New York shows next %v; the leader fires %v", spec, listed.UTC(), leader.UTC())
		}
	}
}

// The cron library looks at most five years ahead for a slot. A leap-day
// spec (README's "0 0 29 2 *" kind) passes 2100, which has no 29 February:
// from 1 March 2096 the next slot, 29 February 2104, is eight years off,
// Next gave zero, and the schedule never fired again (the leader set no
// next slot; schedule ls printed "- (paused)" for an active schedule).
// (Found by review.)
func TestLeapDaySpecFiresAcrossACenturyYear(t *testing.T) {
	s, err := ParseSpec("0 0 29 2 *", "")
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2096, 2, 29, 0, 0, 0, 0, time.UTC)
	want := time.Date(2104, 2, 29, 0, 0, 0, 0, time.UTC)
	rec := &store.Schedule{Catchup: store.CatchupLast, LastSlot: last}
	if next := NextSlot(s, rec, last.Add(time.Hour)); !next.Equal(want) {
		t.Errorf("next slot after %v: %v, want %v", last, next, want)
	}
	if p := PlanSlots(s, rec, last.Add(time.Hour)); !p.Next.Equal(want) {
		t.Errorf("leader's next slot after %v: %v, want %v", last, p.Next, want)
	}
}

// Day-of-week 7 is Sunday, as in crontab(5) and Vixie cron: a crontab line
// moved over runs when it did there. The cron library refused it.
func TestSundayAsSeven(t *testing.T) {
	rewrites := []struct{ in, want string }{
		{"0 2 * * 7", "0 2 * * 0"}, {"0 2 * * 5-7", "0 2 * * 5-6,0"}, {"0 2 * * 6-7", "0 2 * * 6,0"},
		{"0 2 * * 7-7", "0 2 * * 0"}, {"0 2 * * 0-7", "0 2 * * 0-6,0"}, {"0 2 * * 1-7/2", "0 2 * * 1,3,5,0"},
		{"0 2 * * 1,7", "0 2 * * 1,0"}, {"30 0 2 * * 7", "30 0 2 * * 0"}, {"CRON_TZ=Europe/Berlin 0 2 * * 7", "CRON_TZ=Europe/Berlin 0 2 * * 0"},
		{"0\t2 * *  * 7 ", "0\t2 * *  * 0"},
		// Left as written: no 7, or not a day-of-week field it reads.
		{"0 2 * * 0", "0 2 * * 0"}, {"0 2 * * SUN", "0 2 * * SUN"}, {"0 2 * * */7", "0 2 * * */7"},
		{"@every 7s", "@every 7s"}, {"0 7 * * *", "0 7 * * *"}, {"0 2 * * 7/2", "0 2 * * 7/2"}, {"* 7", "* 7"},
	}
	for _, r := range rewrites {
		if got := SundayAsZero(r.in); got != r.want {
			t.Errorf("SundayAsZero(%q) = %q, want %q", r.in, got, r.want)
		}
	}
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) // a Tuesday
	for spec, want := range map[string][]time.Weekday{
		"0 2 * * 7":   {time.Sunday, time.Sunday},
		"0 2 * * 5-7": {time.Friday, time.Saturday, time.Sunday, time.Friday},
	} {
		s, err := ParseSpec(spec, "")
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		at := from
		for _, day := range want {
			at = s.Next(at)
			if at.Weekday() != day || at.Hour() != 2 {
				t.Errorf("%q fires at %v, want a %v at 02:00", spec, at, day)
			}
		}
	}
	for _, bad := range []string{"0 2 * * 8", "0 2 * * 7/2", "0 2 * * 3-8"} {
		if _, err := ParseSpec(bad, ""); err == nil {
			t.Errorf("%q: parsed, want refused", bad)
		}
	}
	// The library's "above maximum (6)" contradicted the 7 accepted.
	if _, err := ParseSpec("0 2 * * 8", ""); err == nil || !strings.Contains(err.Error(), "maximum (7") {
		t.Errorf("day of week 8: %v, want the maximum said to be 7", err)
	}
}

// BenchmarkNextSlot times one Next of specs of every reach, in zones with
// and without daylight saving: wallDays checks the library's answer and
// walks the days between (a yearly spec: a year of them).
func BenchmarkNextSlot(b *testing.B) {
	for _, spec := range []string{"* * * * * *", "0 * * * *", "CRON_TZ=Europe/Berlin 30 2 * * *", "CRON_TZ=Asia/Beirut 0 12 * * 0", "0 0 1 1 *"} {
		s, err := ParseSpec(spec, "")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(spec, func(b *testing.B) {
			t := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			for b.Loop() {
				t = s.Next(t)
			}
		})
	}
}

// Quartz's L, W and # are refused naming them, and a field that is no
// number says what a field takes, not strconv's "failed to parse int from
// L: strconv.Atoi: parsing "L": invalid syntax".
func TestSpecErrorsNameTheField(t *testing.T) {
	for spec, want := range map[string]string{
		"0 9 L * *": `"L": L, W and #`, "0 9 15W * *": `"15W": L, W and #`, "0 9 * * 5#3": `"5#3": L, W and #`,
		"0 9 * * 5L": `"5L": L, W and #`, "0 9 LW * *": `"LW": L, W and #`,
		"0 9 * * WEDX": `"WEDX": want a number, a name`, "0 x * * *": `"x": want a number`,
	} {
		_, err := ParseSpec(spec, "")
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "strconv") {
			t.Errorf("%q: %v, want %s", spec, err, want)
		}
	}
	if _, err := ParseSpec("0 9 * * WED", ""); err != nil {
		t.Errorf("a day's name: %v", err)
	}
}

// A pause after a long outage records the newest due slots as missed and
// handles all of them, however many parts the walk takes.
func TestPauseSlotsWalksEveryPart(t *testing.T) {
	every, _ := ParseSpec("* * * * * *", "")
	t0 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	now := t0.Add(48*time.Hour + 500*time.Millisecond) // 172,800 slots due
	missed, last := PauseSlots(every, &store.Schedule{Catchup: store.CatchupAll, StartingDeadline: 1000, LastSlot: t0}, now)
	if len(missed) != MaxCatchup || !missed[len(missed)-1].Equal(t0.Add(48*time.Hour)) || !missed[0].Equal(t0.Add(48*time.Hour-(MaxCatchup-1)*time.Second)) {
		t.Errorf("missed %d slots from %v to %v; want the newest %d, to 48:00:00", len(missed), missed[0], missed[len(missed)-1], MaxCatchup)
	}
	if !last.Equal(t0.Add(48 * time.Hour)) {
		t.Errorf("last %v, want %v", last, t0.Add(48*time.Hour))
	}
	if missed, last := PauseSlots(every, &store.Schedule{LastSlot: now}, now); len(missed) != 0 || !last.IsZero() {
		t.Errorf("nothing due: missed %v, last %v", missed, last)
	}
}

// A field of commas alone lists no value: the cron library took it, and
// its Next counted five years a second at a time (the fuzz test's
// ", * * * * *" hung ParseSpec; a leader would have hung firing it).
func TestSpecWithAnEmptyFieldIsRefused(t *testing.T) {
	for _, spec := range []string{", * * * * *", "0 ,, * * *", "* * * , *", "0 0 * * ,", "CRON_TZ=UTC , * * * *"} {
		done := make(chan error, 1)
		go func() { _, err := ParseSpec(spec, ""); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "lists no value") {
				t.Errorf("ParseSpec(%q) = %v; want refused: a field lists no value", spec, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ParseSpec(%q) did not return in 10 s", spec)
		}
	}
}
