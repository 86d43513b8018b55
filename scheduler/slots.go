package scheduler

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/robfig/cron/v3"

	"github.com/drover-sched/drover/store"
)

// cronParser reads 5-field specs, an optional leading seconds field (6 fields),
// descriptors (@hourly, @every 90s) and a CRON_TZ= or TZ= prefix.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ErrUnknownZone is a spec's time zone this host's tzdata (and Go's
// embedded copy) does not have: a misspelt name, or a zone a newer tzdata
// added.
var ErrUnknownZone = errors.New("unknown time zone (want an IANA name like Europe/Berlin)")

// ParseSpec parses a cron spec a client is about to write, in zone tz.
// Without a zone (neither tz nor a CRON_TZ= prefix) the spec runs in UTC,
// so every scheduler computes the same slots whatever its host's local
// time. It refuses what ReadSpec reads for compatibility only.
func ParseSpec(spec, tz string) (cron.Schedule, error) {
	s, compat, err := ReadSpec(spec, tz)
	if err == nil {
		err = compat
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// zoneName reports whether name could name a zone of some tzdata (letters,
// digits, "_", "-", "+", ".", in parts split by "/", none of them empty,
// "." or ".."): one that could not ("../../etc/passwd") is malformed, not
// a zone newer tzdata may add, to be left in place and logged at every
// term; unless time.LoadLocation loads it (Europe//Berlin), which earlier
// releases accepted and fired: read for compatibility (ReadSpec).
func zoneName(name string) bool {
	if name == "" {
		return false
	}
	for part := range strings.SplitSeq(name, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-+.", r)) {
				return false
			}
		}
	}
	return true
}

// ReadSpec parses a stored schedule's spec as ParseSpec does, and also
// what earlier releases' clients wrote and their leaders fired, which it
// fires as they did: an @every interval under a second, or not of whole
// seconds (refused since 45fd24a), every second or with the fraction
// dropped, as the cron library's Every does; a CRON_TZ=Local or TZ=Local
// prefix (refused since 8bc3b3a) in UTC, as leaders, which compute slots
// in UTC, fired it whatever their hosts' zones. For such a
// spec compat is the error ParseSpec gives it: it is read for
// compatibility only. An upgrade must not move aside schedules in use.
func ReadSpec(spec, tz string) (s cron.Schedule, compat, err error) {
	var control error
	// Checked before the spec is trimmed: a line break at its end is one
	// too (review194), and ParseSpec's callers store the spec as given.
	if strings.ContainsFunc(spec, controlChar) {
		// A line break cut the one-line error that quoted the spec
		// before its cause. The cron library read a line break (any
		// white space) as a space, as leaders have: a stored spec with
		// one fires as it did; another control character it refused.
		control = fmt.Errorf("cron spec %q: a line break or other control character in it", spec)
		compat = control
		spec = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return ' '
			}
			return r
		}, spec)
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, nil, errors.New("empty cron spec")
	}
	zone, rest, prefixed := ZonePrefix(spec)
	if prefixed {
		if strings.TrimSpace(rest) == "" {
			// The cron library slices up to the first space and panics without one.
			return nil, nil, fmt.Errorf("cron spec %q: a time zone prefix needs a schedule after it", spec)
		}
		if !zoneName(zone) {
			if _, err := time.LoadLocation(zone); err != nil {
				return nil, nil, fmt.Errorf("cron spec: time zone %q: no IANA name", zone)
			}
			// Loaded as the name of a zone (Europe//Berlin, or "" for
			// UTC), and so fired by earlier releases: read, not written.
			compat = fmt.Errorf("cron spec: time zone %q: no IANA name", zone)
		}
		if _, err := time.LoadLocation(zone); err != nil && zone != "Local" {
			return nil, nil, fmt.Errorf("cron spec: time zone %q: %w", zone, ErrUnknownZone)
		}
		if zone == "Local" {
			// Each host's own zone: schedulers would not agree on the slots.
			compat = fmt.Errorf("cron spec: time zone %q: want an IANA name like Europe/Berlin", zone)
			// The cron library reads Local as the zone of the time it is
			// asked from, and leaders ask in UTC: they fired it in UTC.
			spec = "CRON_TZ=UTC " + rest
		}
	}
	switch {
	case tz != "" && prefixed:
		return nil, nil, errors.New("give the time zone once: either --tz or a CRON_TZ= or TZ= prefix")
	case tz != "":
		if tz == "Local" {
			return nil, nil, fmt.Errorf("time zone %q: want an IANA name like Europe/Berlin", tz)
		}
		if !zoneName(tz) {
			if _, err := time.LoadLocation(tz); err != nil {
				return nil, nil, fmt.Errorf("time zone %q: no IANA name", tz)
			}
			compat = fmt.Errorf("time zone %q: no IANA name", tz) // as a prefix's, above
		}
		if _, err := time.LoadLocation(tz); err != nil {
			return nil, nil, fmt.Errorf("time zone %q: %w", tz, ErrUnknownZone)
		}
		spec = "CRON_TZ=" + tz + " " + spec
	case !prefixed:
		spec = "CRON_TZ=UTC " + spec
	}
	if _, every, ok := strings.Cut(spec, "@every"); ok && compat == nil {
		// The cron library rounds an interval under a second up to one and
		// drops fractions: a client may not write what it would not honour.
		if d, err := time.ParseDuration(strings.TrimSpace(every)); err == nil && (d < time.Second || d%time.Second != 0) {
			compat = fmt.Errorf("cron spec: @every %v: want whole seconds, at least 1s", d)
		}
	}
	spec0 := SundayAsZero(spec)
	s, err = parseCron(spec0)
	if err != nil {
		return nil, nil, cmp.Or(control, specError(err))
	}
	if spec, ok := s.(*cron.SpecSchedule); ok {
		if err := noEmptyField(spec); err != nil {
			return nil, nil, err
		}
		crontabDays(spec, spec0)
		s = beyondFiveYears{wallDays{spec}}
		if spec.Hour&allHours != allHours {
			s = onceAWallTime{Schedule: s, loc: spec.Location}
		}
	}
	if probe := s.Next(time.Unix(0, 0)); probe.IsZero() {
		return nil, nil, errors.New("cron spec never fires")
	}
	return s, compat, nil
}

// quartzDays are Quartz's day forms in a field: L, LW, 5L, 15W, 5#3.
var quartzDays = regexp.MustCompile(`^(L|LW|[0-9]+[LW]|[0-9]+#[0-9]+)$`)

// specError rewords the cron library's error for a spec: it names Go's
// strconv for a field that is no number ("failed to parse int from L:
// strconv.Atoi: ..."), where Quartz's L, W and # are what a user tried.
func specError(err error) error {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "failed to parse int from "); ok {
		field, _, _ := strings.Cut(rest, ":")
		if quartzDays.MatchString(field) {
			return fmt.Errorf("cron spec: %q: L, W and # (a month's last day, nearest weekday, nth weekday) are not supported", field)
		}
		return fmt.Errorf("cron spec: %q: want a number, a name (jan, mon), a range (1-5), a list (1,3) or a step (*/2)", field)
	}
	if d, ok := strings.CutPrefix(msg, "failed to parse duration "); ok {
		// "@every 5x: time: unknown unit ..." (the parser's text)
		d, _, _ = strings.Cut(d, ": time: ")
		return fmt.Errorf("cron spec: %q: %s", d, store.WantDuration)
	}
	// Only the day of the week has 6 for its maximum in the cron
	// library; 7 passes here (SundayAsZero).
	return fmt.Errorf("cron spec: %s", strings.Replace(msg, "above maximum (6)", "above maximum (7: 0 and 7 are Sunday)", 1))
}

// controlChar reports whether r may not stand in a spec: a control
// character but the tab, or a line or paragraph separator (U+2028,
// U+2029), a line break too (review197).
func controlChar(r rune) bool {
	return unicode.IsControl(r) && r != '\t' || r == '\u2028' || r == '\u2029'
}

// ZonePrefix splits a CRON_TZ= or TZ= prefix off spec as the cron library
// reads it, up to the first space: its zone, the schedule after it, and
// whether spec has one (rest is spec when not).
func ZonePrefix(spec string) (zone, rest string, ok bool) {
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		return "", spec, false
	}
	prefix, rest, _ := strings.Cut(spec, " ")
	_, zone, _ = strings.Cut(prefix, "=")
	return zone, rest, true
}

// SundayAsZero returns spec with day-of-week 7 written as 0: Vixie cron and
// crontab(5) take both for Sunday (and ranges up to 7, "5-7"), the cron
// library only 0, so a crontab line moved over was refused. A client
// writes a schedule's spec so (ScheduleSpec.Record), leaders of earlier
// releases reading it as well; ReadSpec reads either. Anything it does not
// understand (a descriptor, names, a malformed field) it leaves for the
// parser to accept or refuse.
func SundayAsZero(spec string) string {
	fields := specFields(spec)
	if fields == nil {
		return spec
	}
	parts := strings.Split(fields[len(fields)-1], ",")
	changed := false
	for i, part := range parts {
		if p, ok := sevenAsZero(part); ok {
			parts[i], changed = p, true
		}
	}
	if !changed {
		return spec
	}
	// The last field alone is rewritten; the rest stays as written.
	rest := strings.TrimRightFunc(spec, unicode.IsSpace)
	rest = rest[:strings.LastIndexFunc(rest, unicode.IsSpace)+1]
	return rest + strings.Join(parts, ",")
}

// sevenAsZero rewrites one item of a day-of-week list that names 7: "7" is
// "0"; "a-7" is "a-6,0"; with a step, the days it names are listed.
func sevenAsZero(item string) (string, bool) {
	base, step, stepped := strings.Cut(item, "/")
	lo, hi, ranged := strings.Cut(base, "-")
	if !ranged {
		hi = lo
	}
	if hi != "7" {
		return "", false
	}
	a, err := strconv.Atoi(lo)
	if err != nil || a < 0 || a > 7 {
		return "", false
	}
	n := 1
	if stepped {
		if n, err = strconv.Atoi(step); err != nil || n <= 0 {
			return "", false
		}
	}
	if !ranged && stepped {
		return "", false // "7/2": from 7 to the last day, as the library reads it
	}
	if !stepped {
		switch {
		case a == 7:
			return "0", true
		case a == 6:
			return "6,0", true
		default:
			return fmt.Sprintf("%d-6,0", a), true
		}
	}
	var days []string
	for d := a; d <= 7; d += n {
		days = append(days, strconv.Itoa(d%7))
	}
	return strings.Join(days, ","), true
}

// noEmptyField refuses a spec with a field that admits no value: the cron
// library reads a field of commas alone (",", ",,") as an empty list, and
// its Next then counted through five years a second at a time (the fuzz
// test found ", * * * * *" hanging ParseSpec, and a leader would hang on
// it).
func noEmptyField(spec *cron.SpecSchedule) error {
	for _, f := range []struct {
		name string
		bits uint64
	}{{"seconds", spec.Second}, {"minutes", spec.Minute}, {"hours", spec.Hour}, {"day of month", spec.Dom}, {"month", spec.Month}, {"day of week", spec.Dow}} {
		if f.bits&^starBit == 0 {
			return fmt.Errorf("cron spec: its %s field lists no value (a comma alone?)", f.name)
		}
	}
	return nil
}

// starBit is the cron library's mark of a field that restricts nothing.
const starBit = 1 << 63

// crontabDays marks spec's day-of-month and day-of-week unrestricted when
// their text (in text, the spec parsed) starts with '*', as crontab(5)
// reads them (cronie's DOM_STAR and DOW_STAR): the days are then those both
// fields name, and only of two restricted fields those either names. The
// cron library counts only "*" (or a step of 1) so: "0 9 */2 * 1", odd-day
// Mondays in crontab, ran every odd day and every Monday.
func crontabDays(spec *cron.SpecSchedule, text string) {
	if fields := specFields(text); fields != nil {
		n := len(fields)
		if strings.HasPrefix(fields[n-3], "*") { // day of month
			spec.Dom |= starBit
		}
		if strings.HasPrefix(fields[n-1], "*") { // day of week
			spec.Dow |= starBit
		}
	}
}

// specFields are the fields of spec's schedule after any CRON_TZ= or TZ=
// prefix when it has 5, or 6 with seconds; nil for a descriptor (@daily)
// or a spec of another length, left for the parser to accept or refuse.
func specFields(spec string) []string {
	if _, rest, ok := ZonePrefix(strings.TrimSpace(spec)); ok {
		spec = rest
	}
	if fields := strings.Fields(spec); len(fields) == 5 || len(fields) == 6 {
		return fields
	}
	return nil
}

// wallDays keeps the cron library's Next to the spec's days where clocks
// go forward at midnight (Atlantic/Azores, America/Santiago, Asia/Beirut,
// Africa/Cairo, America/Havana: 00:00 – 01:00 of the change day does not
// exist). The library tells a new day by its hour reading 0: it went on
// into such a day without checking it (a Saturday job ran on the Sunday of
// the change), or stepped back into the day before and on a whole day (a
// Sunday job skipped that Sunday). A time it gives that the spec does not
// name is passed over, and a slot on a day it stepped over is found.
type wallDays struct{ *cron.SpecSchedule }

func (w wallDays) Next(t time.Time) time.Time {
	n := w.SpecSchedule.Next(t)
	for i := 0; !n.IsZero() && (!w.names(n) || !n.After(t)); i++ {
		// Asked again from its own wrong answer, the library can give the
		// same one, or one before t (Pacific/Chatham's fall-back, where an
		// hour-3 spec is answered in hour 2): then the walk below decides.
		m := w.SpecSchedule.Next(n)
		if i == 100 || !m.After(n) {
			n = time.Time{}
			break
		}
		n = m
	}
	limit := n
	if n.IsZero() {
		limit = t.AddDate(5, 0, 0) // as far as the library looks
	}
	if early := w.before(t, limit); !early.IsZero() {
		return early
	}
	return n
}

// names reports whether the spec names t's wall time in its zone.
func (w wallDays) names(t time.Time) bool {
	s := w.SpecSchedule
	t = t.In(s.Location)
	return 1<<uint(t.Second())&s.Second != 0 && 1<<uint(t.Minute())&s.Minute != 0 &&
		1<<uint(t.Hour())&s.Hour != 0 && 1<<uint(t.Month())&s.Month != 0 && w.namesDay(t)
}

// namesDay is the cron library's day match: both fields when either is
// unrestricted, else either.
func (w wallDays) namesDay(t time.Time) bool {
	s := w.SpecSchedule
	dom, dow := 1<<uint(t.Day())&s.Dom != 0, 1<<uint(t.Weekday())&s.Dow != 0
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// before is the first slot after t and before n that the library stepped
// over or did not find (zero if none): the days from t's to n's are
// walked, and on each the spec names, its wall times in order, from t's on
// t's day.
func (w wallDays) before(t, n time.Time) time.Time {
	if n.IsZero() {
		return time.Time{}
	}
	s := w.SpecSchedule
	lt, ln := t.In(s.Location), n.In(s.Location)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 12, 0, 0, 0, s.Location) // noon: never in a gap
	last := time.Date(ln.Year(), ln.Month(), ln.Day(), 12, 0, 0, 0, s.Location)
	for first := true; !day.After(last); day, first = day.AddDate(0, 0, 1), false {
		if 1<<uint(day.Month())&s.Month == 0 || !w.namesDay(day) {
			continue
		}
		h0, m0, s0 := 0, 0, 0
		if first {
			h0, m0, s0 = lt.Hour(), lt.Minute(), lt.Second()
		}
		for h := h0; h < 24; h++ {
			if 1<<uint(h)&s.Hour == 0 {
				continue
			}
			mStart := 0
			if first && h == h0 {
				mStart = m0
			}
			for m := mStart; m < 60; m++ {
				if 1<<uint(m)&s.Minute == 0 {
					continue
				}
				sStart := 0
				if first && h == h0 && m == m0 {
					sStart = s0
				}
				for sec := sStart; sec < 60; sec++ {
					if 1<<uint(sec)&s.Second == 0 {
						continue
					}
					c := time.Date(day.Year(), day.Month(), day.Day(), h, m, sec, 0, s.Location)
					switch {
					case c.Day() != day.Day() || c.Hour() != h || c.Minute() != m:
						// In a gap: this wall time does not exist that day.
					case !c.After(t):
					case c.Before(n):
						return c.In(t.Location())
					default:
						return time.Time{} // the library's is the first
					}
				}
			}
		}
	}
	return time.Time{}
}

// beyondFiveYears looks past the five years the cron library searches for
// a slot: after 29 February 2096 a leap-day spec's next is in 2104 (2100
// has no 29 February), and the library's zero would stop it for good. A
// date on given weekdays comes further apart still (29 February on a
// weekend: 2032, then 2048), but the Gregorian calendar repeats every 400
// years, so a spec that fires once fires again within them. (Each step is
// some 1,800 days walked: a search of 400 years costs about a millisecond,
// and only such a spec pays it.)
type beyondFiveYears struct{ cron.Schedule }

func (b beyondFiveYears) Next(t time.Time) time.Time {
	for range 81 { // 405 years: past any gap between a spec's slots
		if n := b.Schedule.Next(t); !n.IsZero() {
			return n
		}
		// None up to the end of t's year + 5: none skipped from here.
		t = t.AddDate(5, 0, 0)
	}
	return time.Time{}
}

const allHours = 1<<24 - 1

// onceAWallTime skips the second occurrence of a wall-clock time when clocks go
// back (the end of summer time): a job set for 02:30 runs once that night, as
// with Vixie cron. Specs that run every hour keep both hours, which are distinct
// hours of real time. A wall time skipped when clocks go forward does not run
// that day (as in Kubernetes CronJob).
type onceAWallTime struct {
	cron.Schedule
	loc *time.Location // the spec's zone, whose wall times repeat
}

func (o onceAWallTime) Next(t time.Time) time.Time {
	n := o.Schedule.Next(t)
	for !n.IsZero() && o.repeat(n) {
		n = o.Schedule.Next(n)
	}
	return n
}

// repeat reports whether the same wall time was a slot up to two hours
// earlier. Wall times are the spec's zone's: the cron library answers in
// the zone it is asked in, and a stored slot comes back in UTC, whose wall
// times never repeat.
func (o onceAWallTime) repeat(n time.Time) bool {
	if o.loc != nil {
		n = n.In(o.loc)
	}
	for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		earlier := n.Add(-d)
		if sameWall(earlier, n) && o.Schedule.Next(earlier.Add(-time.Nanosecond)).Equal(earlier) {
			return true
		}
	}
	return false
}

func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}

// OnTime is how late a slot may be handled and still count as on time rather
// than missed (catch-up policy none skips missed slots).
const OnTime = 2 * time.Second

// MaxCatchup bounds how many missed slots one catch-up fires; older ones are
// recorded as missed.
const MaxCatchup = 100

// maxScan bounds the slots walked in one plan (a per-second schedule after a
// long outage); the walk resumes from the newest slot it reached. A part cut
// short is missed, but for catch-up all its newest MaxCatchup slots, which
// the next part walks again: the final part fires the newest MaxCatchup of
// all.
const maxScan = 100_000

// Plan is what to do with a schedule's slots that came due by some time.
type Plan struct {
	// Fire are the slots to run now, oldest first.
	Fire []time.Time
	// Missed are due slots that will not run (catch-up policy, starting
	// deadline), newest MaxCatchup only; MissedCount counts them all.
	Missed      []time.Time
	MissedCount int
	// Last is the newest slot handled: the schedule's next LastSlot.
	Last time.Time
	// Next is the first slot after now, on the schedule's grid: for @every,
	// the interval from the slots walked, not from now.
	Next time.Time
}

// PlanSlots decides, for a schedule last handled at rec.LastSlot (or created at
// rec.CreatedAt), which slots up to now fire and which are missed, following the
// catch-up policy and starting deadline (Kubernetes CronJob semantics: a slot
// later than its deadline is not started).
func PlanSlots(s cron.Schedule, rec *store.Schedule, now time.Time) Plan {
	from := rec.LastSlot
	if from.IsZero() {
		from = rec.CreatedAt
	}
	var due []time.Time // newest MaxCatchup+1 due slots
	count := 0
	last := time.Time{}
	// next ends as the first slot after now: the walk goes on from the
	// schedule's own slots, as an @every schedule's grid does (its library
	// Next(now) is now plus the interval, off the grid).
	next := s.Next(from)
	cut := false
	for ; !next.IsZero() && !next.After(now); next = s.Next(next) {
		count++
		last = next
		due = append(due, next)
		if len(due) > 2*MaxCatchup {
			due = append(due[:0], due[len(due)-MaxCatchup-1:]...)
		}
		if count >= maxScan {
			next = s.Next(next)
			cut = !next.IsZero() && !next.After(now)
			break
		}
	}
	p := Plan{Last: last, Next: next}
	if count == 0 {
		return p
	}
	if cut {
		// Newer slots are due after these, so none of these is the newest
		// (last). For all, the newest MaxCatchup of them may be among the
		// newest of all: they are left for the next part, which walks them
		// again (it resumes at once, from the slot before them; a part
		// advances by maxScan-MaxCatchup at least).
		missed := due
		if rec.Catchup == store.CatchupAll {
			missed = due[:len(due)-MaxCatchup] // len(due) > MaxCatchup: maxScan is
			p.Last = missed[len(missed)-1]
			count -= MaxCatchup
		}
		p.MissedCount = count
		p.Missed = missed[max(0, len(missed)-MaxCatchup):]
		p.Next = s.Next(p.Last)
		return p
	}
	skipped := count - len(due) // walked past, never kept
	deadline := rec.StartingDeadline.Duration()
	late := func(t time.Time) bool { return now.Sub(t) > OnTime }
	tooLate := func(t time.Time) bool { return deadline > 0 && now.Sub(t) > deadline }
	var fire, missed []time.Time
	switch rec.Catchup {
	case store.CatchupAll:
		for _, t := range due {
			if tooLate(t) {
				missed = append(missed, t)
			} else {
				fire = append(fire, t)
			}
		}
		if len(fire) > MaxCatchup {
			missed = append(missed, fire[:len(fire)-MaxCatchup]...)
			fire = fire[len(fire)-MaxCatchup:]
		}
	case store.CatchupLast:
		// Those on time fire, as under none (a leader's round a second
		// late is no outage); when none is, the newest, unless past its
		// deadline.
		for _, t := range due {
			if late(t) || tooLate(t) {
				missed = append(missed, t)
			} else {
				fire = append(fire, t)
			}
		}
		if newest := due[len(due)-1]; len(fire) == 0 && !tooLate(newest) {
			missed, fire = missed[:len(missed)-1], []time.Time{newest}
		}
	default: // none
		for _, t := range due {
			if late(t) || tooLate(t) {
				missed = append(missed, t)
			} else {
				fire = append(fire, t)
			}
		}
	}
	p.Fire = fire
	p.MissedCount = skipped + len(missed)
	if len(missed) > MaxCatchup {
		missed = missed[len(missed)-MaxCatchup:]
	}
	p.Missed = missed
	return p
}

// NextSlot is the first slot after now of a schedule last handled at
// rec.LastSlot (or created at rec.CreatedAt), without walking the slots in
// between: an @every schedule's slots fall every interval from its own,
// which its library Next(now) (now plus the interval) does not keep to.
func NextSlot(s cron.Schedule, rec *store.Schedule, now time.Time) time.Time {
	from := rec.LastSlot
	if from.IsZero() {
		from = rec.CreatedAt
	}
	if from.After(now) {
		now = from
	}
	every, ok := s.(cron.ConstantDelaySchedule)
	if !ok || every.Delay <= 0 {
		return s.Next(now)
	}
	first := s.Next(from)
	if first.After(now) {
		return first
	}
	return first.Add((now.Sub(first)/every.Delay + 1) * every.Delay)
}

// PauseSlots is what pausing a schedule at now does to the slots that came
// due but that no leader handled yet (none was up, or the pause came
// first): pause stops firing at once, so they are missed. missed holds the newest MaxCatchup; last is the
// schedule's next LastSlot (zero: none was due). The walk goes in parts, as
// the leader's catch-up does.
func PauseSlots(s cron.Schedule, rec *store.Schedule, now time.Time) (missed []time.Time, last time.Time) {
	r := *rec
	r.Catchup, r.StartingDeadline = store.CatchupNone, 0
	for {
		p := PlanSlots(s, &r, now)
		if p.Last.IsZero() {
			return missed, last
		}
		missed = append(missed, p.Missed...)
		missed = append(missed, p.Fire...) // on-time slots are the newest
		missed = missed[max(0, len(missed)-MaxCatchup):]
		last, r.LastSlot = p.Last, p.Last
		if p.Next.IsZero() || p.Next.After(now) {
			return missed, last
		}
	}
}

// ResumeSlot is the slot a schedule resumed at now counts as its last: now,
// so that no slot that fell while it was paused is caught up; for an @every
// schedule the newest slot of its own grid at or before now, so that its
// slots keep to that grid (an @every 1h made at 10:00 and resumed at 10:45
// next runs at 11:00, as one never paused would).
func ResumeSlot(s cron.Schedule, rec *store.Schedule, now time.Time) time.Time {
	every, ok := s.(cron.ConstantDelaySchedule)
	if !ok || every.Delay <= 0 {
		return now
	}
	from := rec.LastSlot
	if from.IsZero() {
		from = rec.CreatedAt
	}
	if prev := NextSlot(s, rec, now).Add(-every.Delay); prev.After(from) {
		return prev
	}
	return from // no slot since
}

// parseCron is the cron library's parser, with a panic of its on input it
// did not foresee made an error: a spec read from ZooKeeper must not crash
// the leader.
func parseCron(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("unparsable (%v)", r)
		}
	}()
	return cronParser.Parse(spec)
}

// SameSlots reports whether two specs, each with its zone (tz, or a
// CRON_TZ= or TZ= prefix; UTC without), name the same slots however they
// are written: a descriptor and the fields it stands for (@daily, 0 0 * *
// *), five fields and six with second 0, month and day names in either
// case or as numbers, an @every interval in other units (60s, 1m), a zone
// by another of its names (UTC, Etc/UTC). A spec this host cannot read is
// the same as no other (see sameGrid in the client, which compares such
// specs as written).
func SameSlots(aCron, aTZ, bCron, bTZ string) bool {
	a, _, err := ReadSpec(aCron, aTZ)
	if err != nil {
		return false
	}
	b, _, err := ReadSpec(bCron, bTZ)
	if err != nil {
		return false
	}
	switch x := innerSchedule(a).(type) {
	case cron.ConstantDelaySchedule:
		// Its slots run from the schedule's last slot, whatever the zone.
		y, ok := innerSchedule(b).(cron.ConstantDelaySchedule)
		return ok && x.Delay == y.Delay
	case *cron.SpecSchedule:
		// What ReadSpec wraps around it follows from these alone.
		y, ok := innerSchedule(b).(*cron.SpecSchedule)
		return ok && x.Second == y.Second && x.Minute == y.Minute && x.Hour == y.Hour && x.Dom == y.Dom &&
			x.Month == y.Month && x.Dow == y.Dow && sameZone(x.Location, y.Location)
	}
	return false
}

// innerSchedule is the cron library's schedule ReadSpec wrapped.
func innerSchedule(s cron.Schedule) cron.Schedule {
	for {
		switch w := s.(type) {
		case onceAWallTime:
			s = w.Schedule
		case beyondFiveYears:
			s = w.Schedule
		case wallDays:
			return w.SpecSchedule
		default:
			return s
		}
	}
}

// sameZone reports whether two zones keep the same offsets from UTC, changed
// at the same instants, from 1900 to 2200: one zone by two names (UTC and
// Etc/UTC, a link and its target). Zones that differ in any change, if
// only of its abbreviation, are not the same.
func sameZone(a, b *time.Location) bool {
	if a.String() == b.String() {
		return true
	}
	end := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	t := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 10000 { // some 700 changes of a zone with summer time
		if !t.Before(end) {
			return true
		}
		ta, tb := t.In(a), t.In(b)
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		_, ea := ta.ZoneBounds()
		_, eb := tb.ZoneBounds()
		if oa != ob || !ea.Equal(eb) {
			return false
		}
		switch {
		case ea.IsZero():
			return true // no change after t in either
		case ea.After(t):
			t = ea
		default:
			// Go answers t itself at the end of a year its rule
			// computes (2040-12-31 in Europe/Kyiv): step past it.
			t = t.Add(time.Hour)
		}
	}
	return false
}
