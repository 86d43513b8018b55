package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// oracleSpec is a cron spec read independently of the cron library, for
// TestSlotsMatchBruteForce: each field a set of values, and whether the
// day fields start with '*' (crontab(5): then a day must match both).
type oracleSpec struct {
	sec, min, hour, dom, month, dow map[int]bool
	domStar, dowStar                bool
}

func oracleField(t *testing.T, f string, lo, hi int) map[int]bool {
	t.Helper()
	out := map[int]bool{}
	for _, item := range strings.Split(f, ",") {
		base, step, stepped := strings.Cut(item, "/")
		n := 1
		if stepped {
			var err error
			if n, err = strconv.Atoi(step); err != nil {
				t.Fatal(err)
			}
		}
		a, b := lo, hi
		if base != "*" {
			x, y, ranged := strings.Cut(base, "-")
			var err error
			if a, err = strconv.Atoi(x); err != nil {
				t.Fatal(err)
			}
			b = a
			if ranged {
				if b, err = strconv.Atoi(y); err != nil {
					t.Fatal(err)
				}
			} else if stepped {
				b = hi
			}
		}
		for v := a; v <= b; v += n {
			out[v] = true
		}
	}
	return out
}

func parseOracle(t *testing.T, spec string) oracleSpec {
	if d, ok := map[string]string{"@daily": "0 0 * * *", "@weekly": "0 0 * * 0"}[spec]; ok {
		spec = d
	}
	f := strings.Fields(spec)
	if len(f) == 5 {
		f = append([]string{"0"}, f...)
	}
	o := oracleSpec{
		sec: oracleField(t, f[0], 0, 59), min: oracleField(t, f[1], 0, 59), hour: oracleField(t, f[2], 0, 23),
		dom: oracleField(t, f[3], 1, 31), month: oracleField(t, f[4], 1, 12), dow: oracleField(t, f[5], 0, 7),
		domStar: strings.HasPrefix(f[3], "*"), dowStar: strings.HasPrefix(f[5], "*"),
	}
	if o.dow[7] {
		o.dow[0] = true
	}
	return o
}

func (o oracleSpec) namesMinute(w time.Time) bool {
	if !o.min[w.Minute()] || !o.hour[w.Hour()] || !o.month[int(w.Month())] {
		return false
	}
	dom, dow := o.dom[w.Day()], o.dow[int(w.Weekday())]
	if o.domStar || o.dowStar {
		return dom && dow
	}
	return dom || dow
}

// bruteSlots walks every real minute from..to in loc and keeps the wall
// times the spec names, by README's daylight-saving rules: a wall time
// that does not exist does not run; one that happens twice runs once
// (its first), unless the spec runs every hour, which runs every real hour.
func bruteSlots(o oracleSpec, loc *time.Location, from, to time.Time) []time.Time {
	everyHour := len(o.hour) == 24
	seen := map[string]bool{}
	var out []time.Time
	for u := from.Truncate(time.Minute).Add(time.Minute); u.Before(to); u = u.Add(time.Minute) {
		w := u.In(loc)
		if !o.namesMinute(w) {
			continue
		}
		key := w.Format("2006-01-02 15:04")
		if seen[key] && !everyHour {
			continue
		}
		seen[key] = true
		for s := 0; s < 60; s++ {
			if o.sec[s] {
				out = append(out, u.Add(time.Duration(s)*time.Second))
			}
		}
	}
	return out
}

// TestSlotsMatchBruteForce compares each spec's slots, over a year of
// zones with and without daylight saving, with a walk of every real minute
// that keeps the wall times the spec names (README's rules), asked from
// each slot (in UTC, as a stored last slot comes back, and in the zone)
// and from a time between slots.
// raceBuild is whether the tests run under -race (race_test.go).
var raceBuild bool

func TestSlotsMatchBruteForce(t *testing.T) {
	zones := []string{"Pacific/Chatham", "Asia/Beirut", "Australia/Lord_Howe", "Europe/Berlin",
		"America/St_Johns", "Australia/Adelaide", "Europe/Dublin", "America/Asuncion", "UTC", "America/New_York", "Australia/Sydney", "Asia/Kathmandu",
		"Atlantic/Azores", "America/Santiago", "Africa/Cairo", "America/Havana"}
	if raceBuild {
		// The walk is pure arithmetic, which -race (make test) only slows,
		// eightfold: there the first four zones (a change by 1 h at 03:45,
		// at midnight, by half an hour, at 02:00); `go test` walks all.
		zones = zones[:4]
	}
	specs := []string{"30 2 * * *", "0 * * * *", "*/15 2 * * *", "15,45 * * * *", "0 0 * * *", "30 0 * * *",
		"0 9 * * 6", "0 12 * * 0", "0 1 * * 0", "50 3 * * *", "59 23 * * *", "0 23 * * *", "*/20 0-3 * * *",
		"0 0 29 2 *", "0 9 31 * *", "0 9 */2 * 1", "0 9 1-7 * 1", "0 0 * * 0", "30 */2 * * *",
		"*/20 30 2 * * *", "0 0 1 1 *", "45 2 * * *", "0 2 * * 7", "*/15 3 * * *", "0 3 * * *", "10 3 * * *", "50 2 * * *", "@daily", "@weekly"}
	// A year with every zone's two changes and a 29 February (three
	// years took four times as long under -race, in make test).
	from := time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2028, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, zone := range zones {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range specs {
			t.Run(zone+" "+spec, func(t *testing.T) {
				s, err := ParseSpec(spec, zone)
				if err != nil {
					t.Fatal(err)
				}
				want := bruteSlots(parseOracle(t, spec), loc, from, to)
				f := func(x time.Time) string { return x.In(loc).Format("Mon 2006-01-02 15:04:05 MST") }
				errs := 0
				check := func(what string, at, got, want time.Time) {
					if !got.Equal(want) && errs < 5 {
						errs++
						t.Errorf("Next(%s, %s) = %s, want %s", f(at), what, f(got), f(want))
					}
				}
				prev := from
				for _, w := range want {
					check("UTC", prev, s.Next(prev.UTC()), w)
					check("zone", prev, s.Next(prev.In(loc)), w)
					if mid := prev.Add(w.Sub(prev) / 2).Truncate(time.Second); mid.After(prev) {
						check("between", mid, s.Next(mid.UTC()), w)
					}
					prev = w
				}
				if errs > 0 {
					t.Logf("%d slots; first few: %s", len(want), fmt.Sprint(want[:min(3, len(want))]))
				}
			})
		}
	}
}
