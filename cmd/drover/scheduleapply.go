package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// scheduleDoc is one schedule of a `schedule apply` file, keyed by the flag
// names of `schedule add`:
//
//	nightly:
//	  cron: "0 2 * * *"
//	  tz: Europe/Berlin
//	  concurrency: forbid
//	  retries: 2
//	  timeout: 1h
//	  on: {zone: eu}
//	  cmd: [./report.sh, --full]
type scheduleDoc struct {
	Cron             string            `yaml:"cron"`
	TZ               string            `yaml:"tz,omitempty"`
	Catchup          string            `yaml:"catchup,omitempty"`
	StartingDeadline string            `yaml:"starting-deadline,omitempty"`
	Concurrency      string            `yaml:"concurrency,omitempty"`
	Suspend          bool              `yaml:"suspend,omitempty"`
	KeepSucceeded    *int              `yaml:"keep-succeeded,omitempty"`
	KeepFailed       *int              `yaml:"keep-failed,omitempty"`
	Name             string            `yaml:"name,omitempty"`
	Cmd              []string          `yaml:"cmd,omitempty,flow"`
	Shell            bool              `yaml:"shell,omitempty"`
	Handler          string            `yaml:"handler,omitempty"`
	Payload          *string           `yaml:"payload,omitempty"`
	Env              map[string]string `yaml:"env,omitempty"`
	On               map[string]string `yaml:"on,omitempty"`
	Retries          int               `yaml:"retries,omitempty"`
	NoRetryExit      []int             `yaml:"no-retry-exit,omitempty,flow"`
	Backoff          string            `yaml:"backoff,omitempty"`
	Timeout          string            `yaml:"timeout,omitempty"`
	Priority         string            `yaml:"priority,omitempty"`
}

// scheduleSettings are scheduleDoc's keys, in its order.
var scheduleSettings = func() []string {
	t := reflect.TypeFor[scheduleDoc]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i], _, _ = strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
	}
	return keys
}()

// maxMerged bounds the mappings one schedule's settings (or its env or
// labels) bring in by merge keys.
const maxMerged = 1000

// maxScheduleFile bounds a schedule file: a thousand schedules of a few
// hundred bytes each fit many times over.
const maxScheduleFile = 16 << 20

// readScheduleFile reads and checks every schedule of a file, in the file's
// order, before any is applied.
func readScheduleFile(data []byte) ([]client.ScheduleSpec, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		return nil, errors.New("no schedules in it")
	} else if err != nil {
		return nil, oneYAMLLine(err)
	}
	if err := dec.Decode(new(yaml.Node)); err == nil {
		return nil, errSeveralDocuments
	} else if !errors.Is(err, io.EOF) {
		return nil, oneYAMLLine(err)
	}
	m := &root
	if m.Kind == yaml.DocumentNode && len(m.Content) == 1 {
		m = m.Content[0]
	}
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of schedule names to their settings", m.Line)
	}
	var specs []client.ScheduleSpec
	first := make(map[string]int, len(m.Content)/2) // name: the line it is first given on
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, body := m.Content[i], m.Content[i+1]
		k := key
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias // *k : names the key it aliases
		}
		switch k.Kind {
		case yaml.SequenceNode:
			return nil, fmt.Errorf("line %d: want a schedule's name, got a list", key.Line)
		case yaml.MappingNode:
			return nil, fmt.Errorf("line %d: want a schedule's name, got a mapping", key.Line)
		}
		// A name given twice is refused, as YAML's decoder refuses it
		// (its own check compares each key with every other: 4.5 s for
		// 20,000 schedules), and so is an alias of one given already:
		// applied twice, the last would win; several applies in flight,
		// either might.
		name := k.Value
		if line, ok := first[name]; ok {
			return nil, fmt.Errorf("line %d: mapping key %q already defined at line %d", key.Line, name, line)
		}
		first[name] = key.Line
		spec, err := scheduleSpecOf(name, body)
		if err != nil {
			return nil, fmt.Errorf("schedule %s (line %d): %w", shown(name), key.Line, err)
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return nil, errors.New("no schedules in it")
	}
	return specs, nil
}

// scheduleSpecOf is the spec one schedule's settings describe, checked as
// schedule add checks its flags.
func scheduleSpecOf(name string, body *yaml.Node) (client.ScheduleSpec, error) {
	for body.Kind == yaml.AliasNode && body.Alias != nil {
		body = body.Alias // b: *a, another schedule's settings
	}
	if body.Kind != yaml.MappingNode {
		return client.ScheduleSpec{}, errors.New("want a mapping of its settings (cron, cmd, ...)")
	}
	// A typo ("retry") must not drop a setting, nor one merged in.
	budget := maxMerged
	keys, err := settingKeys(body, 0, &budget)
	if err != nil {
		return client.ScheduleSpec{}, err
	}
	var d scheduleDoc
	for _, kv := range keys {
		k := kv[0]
		if !slices.Contains(scheduleSettings, k.Value) {
			return client.ScheduleSpec{}, fmt.Errorf("line %d: unknown setting %s (a schedule's: %s)", k.Line, shown(k.Value), strings.Join(scheduleSettings, ", "))
		}
		if err := settingKind(k.Value, kv[1]); err != nil {
			return client.ScheduleSpec{}, fmt.Errorf("line %d: %s: %w", k.Line, k.Value, err)
		}
	}
	if err := body.Decode(&d); err != nil {
		return client.ScheduleSpec{}, oneYAMLLine(err)
	}
	return d.spec(name)
}

// spec is the schedule name's spec that d describes, checked as schedule
// add checks its flags.
func (d scheduleDoc) spec(name string) (client.ScheduleSpec, error) {
	spec := client.ScheduleSpec{Name: name, Cron: d.Cron, TZ: d.TZ, Catchup: d.Catchup, Concurrency: d.Concurrency, Suspend: d.Suspend,
		Task: client.TaskSpec{Name: d.Name, Cmd: d.Cmd, Shell: d.Shell, Handler: d.Handler, Env: d.Env, On: d.On, Retries: d.Retries,
			NoRetryExit: d.NoRetryExit, Priority: d.Priority}}
	if err := store.ValidateNodeName(name); err != nil {
		return spec, err
	}
	if d.Cron == "" {
		return spec, errors.New("cron: required")
	}
	if len(d.Cmd) == 0 && d.Handler == "" {
		return spec, errors.New("no command: give cmd (a list: [./report.sh, --full]) or handler")
	}
	if d.Payload != nil {
		spec.Task.Payload = []byte(*d.Payload)
	}
	for _, k := range []struct {
		key string
		n   *int
		to  *int
	}{{"keep-succeeded", d.KeepSucceeded, &spec.KeepSucceeded}, {"keep-failed", d.KeepFailed, &spec.KeepFailed}} {
		if k.n == nil {
			continue
		}
		if *k.n < 1 || *k.n > 1000 {
			return spec, fmt.Errorf("%s %d: want 1..1000 (the newest runs kept in the history)", k.key, *k.n)
		}
		*k.to = *k.n
	}
	var err error
	if spec.Task.Timeout, err = client.ParseDuration("timeout", d.Timeout); err != nil {
		return spec, err
	}
	if spec.StartingDeadline, err = client.ParseDuration("starting-deadline", d.StartingDeadline); err != nil {
		return spec, err
	}
	if spec.Task.Backoff, err = client.ParseDuration("backoff", d.Backoff); err != nil {
		return spec, err
	}
	if _, err := spec.Record(time.Now()); err != nil {
		return spec, errors.New(inFlagWords(describeInvalid(err), ""))
	}
	return spec, nil
}

// settingKeys are the keys of a schedule's settings, m's own and those a
// merge key (<<: *defaults, or a list of them) brings in, which the
// decoder merges as YAML says. budget bounds the mappings walked: merge
// lists of aliases of merge lists would take exponential time.
func settingKeys(m *yaml.Node, depth int, budget *int) ([][2]*yaml.Node, error) {
	if depth > 100 {
		return nil, fmt.Errorf("line %d: merge keys nested too deep", m.Line)
	}
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("line %d: merge keys bring in too many mappings (more than %d)", m.Line, maxMerged)
	}
	var keys [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			keys = append(keys, [2]*yaml.Node{k, v})
			continue
		}
		from := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			from = v.Content
		}
		for _, f := range from {
			for f.Kind == yaml.AliasNode && f.Alias != nil {
				f = f.Alias
			}
			if f.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("line %d: a merge key (<<) takes a mapping or a list of them", k.Line)
			}
			more, err := settingKeys(f, depth+1, budget)
			if err != nil {
				return nil, err
			}
			keys = append(keys, more...)
		}
	}
	return keys, nil
}

// settingKind checks that a setting's value v is of the kind it takes,
// saying what that is: the decoder's own words name Go types
// ("cannot unmarshal !!str into []string").
func settingKind(key string, v *yaml.Node) error {
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	scalar := func(n *yaml.Node) *yaml.Node {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if n.Kind != yaml.ScalarNode {
			return nil
		}
		return n
	}
	quoted := v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	switch key {
	case "cmd":
		const want = "want a list of the program and its arguments, like [./report.sh, --full]"
		if v.Kind != yaml.SequenceNode {
			return errors.New(want)
		}
		for i, n := range v.Content {
			n = scalar(n)
			if n == nil {
				return errors.New(want)
			}
			if n.ShortTag() == "!!null" {
				// The decoder drops it from the list: [ls, ~] ran ls alone.
				return fmt.Errorf("%s; its item %d is YAML's null (~, null or nothing): quote it ('~') or leave it out", want, i+1)
			}
		}
	case "env", "on":
		if v.Kind != yaml.MappingNode {
			return errors.New("want a mapping, like {zone: eu}")
		}
		// Its own pairs and those a merge key (<<: *base) brings in,
		// which the decoder merges.
		budget := maxMerged
		pairs, err := settingKeys(v, 0, &budget)
		if err != nil {
			return err
		}
		for _, kv := range pairs {
			if scalar(kv[0]) == nil || scalar(kv[1]) == nil {
				return errors.New("want a mapping of names to text, like {zone: eu}")
			}
		}
	case "retries", "keep-succeeded", "keep-failed":
		return wholeNumber(v)
	case "no-retry-exit":
		const want = "want a list of exit codes, like [2, 64]"
		if v.Kind != yaml.SequenceNode {
			return errors.New(want)
		}
		for i, n := range v.Content {
			if n = scalar(n); n == nil {
				return errors.New(want)
			}
			if err := wholeNumber(n); err != nil {
				return fmt.Errorf("%s; its item %d: %w", want, i+1, err)
			}
		}
	case "suspend", "shell":
		if v.Kind != yaml.ScalarNode || v.Value != "true" && v.Value != "false" || quoted {
			return fmt.Errorf("want true or false, unquoted, got %s", shown(v.Value))
		}
	default:
		if v.Kind != yaml.ScalarNode {
			return errors.New("want text")
		}
		// schedule add refuses these flags empty (--tz "$ZONE" with the
		// variable unset): so is the setting, "" or null (a template's).
		if slices.Contains(noEmptySettings, key) && (v.Value == "" || v.ShortTag() == "!!null") {
			return errors.New("empty (leave the setting out for its default)")
		}
	}
	return nil
}

// noEmptySettings are the settings whose schedule add flags refuse an empty
// value.
var noEmptySettings = []string{"tz", "catchup", "starting-deadline", "concurrency", "name", "timeout", "backoff", "priority"}

// wholeNumber checks that n is a whole number as schedule add's flags read
// one: unquoted (YAML text), and without a leading zero, which Atoi reads
// as decimal (--retries 010 is ten) and YAML as octal (8): ten or refused,
// never eight.
func wholeNumber(n *yaml.Node) error {
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	if _, err := strconv.Atoi(n.Value); n.Kind != yaml.ScalarNode || err != nil || quoted {
		return fmt.Errorf("want a whole number, unquoted, got %s", shown(n.Value))
	}
	if digits := strings.TrimLeft(n.Value, "+-"); len(digits) > 1 && digits[0] == '0' {
		return fmt.Errorf("want a whole number without a leading zero (YAML reads it as octal), got %s", shown(n.Value))
	}
	return nil
}

// oneYAMLLine is a YAML error on one line: the decoder lists each field's
// on a line of its own.
func oneYAMLLine(err error) error {
	msg := strings.Join(strings.Fields(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:")), " ")
	return errors.New(strings.ReplaceAll(msg, " into main.scheduleDoc", ""))
}

func newScheduleApplyCmd(g *globals) *cobra.Command {
	var (
		file          string
		prune, dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "apply -f FILE [--prune] [--dry-run]",
		Short: "Add or update the schedules a YAML file describes; --prune removes the others",
		Long: `Add or update, in place, each schedule a YAML file describes (as schedule add
--update does: history and runs kept), keyed by name, with schedule add's flag
names as settings:

  nightly:
    cron: "0 2 * * *"
    tz: Europe/Berlin
    concurrency: forbid
    retries: 2
    timeout: 1h
    on: {zone: eu}
    cmd: [./report.sh, --full]

Every schedule is checked before any is written. --prune removes the schedules
the file does not name; --dry-run says what would change and writes nothing.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := fileFlagErr(cmd, file); err != nil {
				return err
			}
			if file == "" {
				return usageErr("schedule apply: -f FILE is required (- for stdin)")
			}
			var (
				data []byte
				err  error
			)
			if file == "-" {
				data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxScheduleFile+1))
				if err == nil && len(data) > maxScheduleFile {
					err = fmt.Errorf("larger than %d bytes", maxScheduleFile)
				}
				if err != nil {
					err = fmt.Errorf("-f -: %w", err)
				}
			} else {
				data, err = readFileMax(file, maxScheduleFile) // its errors name the file
			}
			if err != nil {
				return usageErr("schedule apply: %v", err)
			}
			specs, err := readScheduleFile(data)
			if err != nil {
				return usageErr("schedule apply: %s: %s", shown(file), printable(err.Error()))
			}
			// A dry run writes nothing, nor the cluster's tree at a root
			// where none is (a mistyped --root): "no Drover cluster", as
			// the commands that only read say.
			run := g.withClient
			if dryRun {
				run = g.withReader
			}
			return run(func(ctx context.Context, c *client.Client) error {
				type outcome struct {
					Schedule string `json:"schedule"`
					Result   string `json:"result"`
					DryRun   bool   `json:"dry_run,omitempty"`
				}
				var done []outcome
				say := func(name, result string) {
					done = append(done, outcome{name, result, dryRun})
					if g.output == "json" {
						return
					}
					if would, ok := map[string]string{"added": "would add", "updated": "would update", "removed": "would remove"}[result]; ok && dryRun {
						result = would
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", result, name)
				}
				report := func() error {
					if g.output != "json" {
						return nil
					}
					return writeJSON(cmd.OutOrStdout(), append([]outcome{}, done...))
				}
				// Many applies are in flight at once, and end in any order:
				// each is printed once those before it in the file have
				// ended, and those that end after one failed, or after
				// an interrupt, once all have.
				var changed []int // added or updated, in the file's order
				applies := newInOrder(len(specs), func(i int, v any) {
					a := v.(client.Applied)
					if a == client.Added || a == client.Updated {
						changed = append(changed, i)
					}
					say(specs[i].Name, string(a))
				})
				each := func(i int, applied client.Applied, err error) bool { return applies.end(i, applied, err) }
				var err error
				if dryRun {
					err = c.WouldApplySchedules(ctx, specs, each)
				} else {
					err = c.ApplySchedules(ctx, specs, each)
				}
				if err != nil {
					// Before any apply began.
					_ = report()
					if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
						return exitCode(130, fmt.Sprintf("schedule apply: interrupted; not applied: %s", namesOf(specs)))
					}
					return exitCode(1, fmt.Sprintf("schedule apply: %v; not applied: %s", err, namesOf(specs)))
				}
				if msg, failed := applies.finish(ctx, func(i int) string { return specs[i].Name }, "applied"); msg != "" {
					_ = report()
					if !failed {
						return exitCode(130, "schedule apply: "+msg)
					}
					return exitCode(1, "schedule apply: "+msg)
				}
				if g.output != "json" {
					noteRunsWait(ctx, c, specs, changed, dryRun, cmd.ErrOrStderr())
				}
				if prune {
					list, skipped, err := c.ListSchedules(ctx)
					if err != nil {
						_ = report()
						return exitCode(1, fmt.Sprintf("schedule apply --prune: list the schedules: %v", err))
					}
					if skipped > 0 {
						fmt.Fprintf(cmd.ErrOrStderr(), "drover: --prune left %d unreadable schedule record(s) alone (drover schedule ls says more)\n", skipped)
					}
					keep := make(map[string]bool, len(specs))
					for _, s := range specs {
						keep[s.Name] = true
					}
					var gone []string // in the listing's order, by name
					for _, s := range list {
						if !keep[s.Name] {
							gone = append(gone, s.Name)
						}
					}
					if dryRun {
						for _, name := range gone {
							say(name, "removed")
						}
						return report()
					}
					removals := newInOrder(len(gone), func(i int, _ any) { say(gone[i], "removed") })
					c.RemoveSchedules(ctx, gone, func(i int, err error) bool {
						if errors.Is(err, client.ErrNoSchedule) {
							err = nil // removed meanwhile: as asked
						}
						return removals.end(i, nil, err)
					})
					if msg, failed := removals.finish(ctx, func(i int) string { return gone[i] }, "removed"); msg != "" {
						_ = report()
						if !failed {
							return exitCode(130, "schedule apply --prune: "+msg)
						}
						return exitCode(1, "schedule apply --prune: remove "+msg)
					}
				}
				return report()
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "YAML file of schedules (- for stdin)")
	onlyOnce(f, "file", "one file only (join them: cat A B | drover schedule apply -f -)")
	f.BoolVar(&prune, "prune", false, "remove the schedules the file does not name (runs already fired go on)")
	f.BoolVar(&dryRun, "dry-run", false, "say what would be added, updated or removed (and what is unchanged), and write nothing")
	return cmd
}

// runsWaitNamed bounds the schedules apply names whose runs would wait.
const runsWaitNamed = 20

// noteRunsWait says on stderr which of the schedules just added or
// updated (changed, indexes into specs: schedule add's one, or apply's)
// have runs that no registered worker would take, as get and history say
// of a run that waits: a label typo was accepted without a word, and its
// first run waited for ever. The schedules stay: a worker may yet come.
// It names the first runsWaitNamed and counts the rest; the workers are
// read once.
func noteRunsWait(ctx context.Context, c *client.Client, specs []client.ScheduleSpec, changed []int, dryRun bool, stderr io.Writer) {
	if len(changed) == 0 {
		return
	}
	f := readFleet(ctx, c)
	will := "will"
	if dryRun {
		will = "would"
	}
	named := 0
	for _, i := range changed {
		why := runsWait(f, specs[i].Task)
		if why == "" {
			continue
		}
		if named++; named <= runsWaitNamed {
			fmt.Fprintf(stderr, "drover: schedule %s's runs %s wait %s\n", shown(specs[i].Name), will, why)
		}
	}
	if named > runsWaitNamed {
		fmt.Fprintf(stderr, "drover: and %d more schedules' runs %s wait for a worker\n", named-runsWaitNamed, will)
	}
}

// runsWait is why the runs of a schedule whose template is spec would
// wait for a worker of f, "" when none would.
func runsWait(f *fleet, spec client.TaskSpec) string {
	t, err := spec.Task(time.Now())
	if err != nil {
		return ""
	}
	return f.waits(t)
}

// inOrder prints the outcomes of operations in flight on items 0 ... n-1,
// which end in any order, in the items' order: an item's as soon as those
// before it have ended, the rest once all have (finish).
type inOrder struct {
	say   func(i int, v any) // an item done
	ended []bool
	errs  []error
	vals  []any
	next  int // the first item not printed
}

func newInOrder(n int, say func(i int, v any)) *inOrder {
	return &inOrder{say: say, ended: make([]bool, n), errs: make([]error, n), vals: make([]any, n)}
}

// end records item i's outcome, and prints what it lets print; it returns
// whether it succeeded (one call at a time).
func (o *inOrder) end(i int, v any, err error) bool {
	o.ended[i], o.vals[i], o.errs[i] = true, v, err
	for o.next < len(o.ended) && o.ended[o.next] && o.errs[o.next] == nil {
		o.say(o.next, o.vals[o.next])
		o.next++
	}
	return err == nil
}

// finish prints the items done that are not printed yet, once every
// operation begun has ended, and says what was not done, "" when all
// were: the first item that failed (in the items' order), with its error
// (failed), or "interrupted" when ctx's end stopped them; then the items not done,
// never begun, ended by ctx before they wrote, or failed ("not " + done);
// then those whose outcome is unknown ("may or may not have been " +
// done): a write sent whose reply never came.
func (o *inOrder) finish(ctx context.Context, name func(i int) string, done string) (msg string, failed bool) {
	first := -1 // the first that failed
	var not, doubt []string
	for i := o.next; i < len(o.ended); i++ {
		err := o.errs[i]
		if o.ended[i] && err == nil {
			o.say(i, o.vals[i])
			continue
		}
		// Ended by the interrupt: before it wrote (ctx's error), or
		// with its write's reply not come when the store was closed.
		stopped := ctx.Err() != nil && (errors.Is(err, ctx.Err()) || errors.Is(err, client.ErrUnconfirmed))
		if o.ended[i] && first < 0 && !stopped {
			first = i
		}
		if o.ended[i] && errors.Is(err, client.ErrUnconfirmed) {
			doubt = append(doubt, name(i))
		} else {
			not = append(not, name(i))
		}
	}
	if len(not)+len(doubt) == 0 {
		return "", false
	}
	msg = "interrupted"
	if first >= 0 {
		msg = fmt.Sprintf("%s: %v", name(first), o.errs[first])
	}
	if len(not) > 0 {
		msg += fmt.Sprintf("; not %s: %s", done, strings.Join(not, " "))
	}
	if len(doubt) > 0 {
		msg += fmt.Sprintf("; may or may not have been %s: %s", done, strings.Join(doubt, " "))
	}
	return msg, first >= 0
}

// namesOf lists the schedules' names.
func namesOf(specs []client.ScheduleSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return strings.Join(names, " ")
}

// docOf is a schedule's record as schedule apply reads it: settings left
// at their defaults are left out.
func docOf(rec *store.Schedule) (scheduleDoc, error) {
	t := &rec.Task
	d := scheduleDoc{Cron: rec.Cron, TZ: rec.TZ, Suspend: rec.Suspended, Cmd: t.Cmd, Shell: t.Shell, Handler: t.Handler,
		Env: t.Env, On: t.On, Retries: t.Retries, NoRetryExit: t.NoRetryExit}
	if rec.Catchup != store.CatchupNone {
		d.Catchup = rec.Catchup
	}
	if rec.Concurrency != store.ConcurrencyAllow {
		d.Concurrency = rec.Concurrency
	}
	if rec.StartingDeadline > 0 {
		d.StartingDeadline = shortDuration(rec.StartingDeadline.Duration())
	}
	if t.Timeout > 0 {
		d.Timeout = shortDuration(t.Timeout.Duration())
	}
	if t.Backoff > 0 {
		d.Backoff = shortDuration(t.Backoff.Duration())
	}
	if rec.KeepSucceeded != 10 {
		d.KeepSucceeded = &rec.KeepSucceeded
	}
	if rec.KeepFailed != 10 {
		d.KeepFailed = &rec.KeepFailed
	}
	if t.Name != rec.Name {
		d.Name = t.Name
	}
	if len(t.Payload) > 0 {
		p := string(t.Payload)
		d.Payload = &p
	}
	if t.Priority != store.PriorityNormal {
		d.Priority = t.Priority.String()
	}
	// What an earlier client wrote that this one refuses (a DROVER_ env,
	// a command's payload, @every 1500ms), or a hand (history limits of
	// 0), or a zone this host lacks: schedule apply would refuse the
	// whole file for it.
	if _, err := d.spec(rec.Name); err != nil {
		return scheduleDoc{}, fmt.Errorf("schedule apply would refuse it (%v)", err)
	}
	return d, nil
}

// shortDuration is d as a duration text without its zero units: 1h, not
// 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func newScheduleExportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "export [NAME...]",
		Short: "Print schedules (all, or those named) as a YAML file for schedule apply",
		Long: `Print schedules (all, or those named) as a YAML file that schedule apply reads:
drover schedule export > schedules.yaml, then keep the file and apply it.
Settings at their defaults are left out.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range args {
				if err := store.ValidateNodeName(name); err != nil {
					return usageErr("schedule export: %v", err)
				}
			}
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				var recs []*store.Schedule
				if len(args) == 0 {
					list, skipped, err := c.ListSchedules(ctx)
					if err != nil {
						return err
					}
					if skipped > 0 {
						fmt.Fprintf(cmd.ErrOrStderr(), "drover: left out %d unreadable schedule record(s) (drover schedule ls says more)\n", skipped)
					}
					for _, s := range list {
						recs = append(recs, s.Schedule)
					}
				}
				for _, name := range args {
					s, err := c.Schedule(ctx, name)
					if errors.Is(err, client.ErrNoSchedule) {
						return exitCode(1, fmt.Sprintf("schedule %s not found", shown(name)))
					}
					if err != nil {
						return err
					}
					recs = append(recs, s.Schedule)
				}
				docs := make(map[string]scheduleDoc, len(recs))
				var failed error
				for _, rec := range recs {
					d, err := docOf(rec)
					if err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "drover: "+printable(oneLine("schedule export: "+rec.Name+": left out: "+err.Error())))
						failed = exitCode(1, "")
						continue
					}
					docs[rec.Name] = d
				}
				if len(docs) > 0 {
					enc := yaml.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent(2)
					if err := enc.Encode(docs); err != nil {
						return err
					}
					if err := enc.Close(); err != nil {
						return err
					}
				}
				return failed
			})
		},
	}
}
