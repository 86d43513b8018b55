package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// fileConfig is a YAML config file: global flags at the top level, and a section
// per command (scheduler, worker, dev, ...) for that command's flags, each
// named as on the command line:
//
//	zk: zk1:2181,zk2:2181,zk3:2181
//	root: /drover
//	session-timeout: 10s
//	scheduler:
//	  http: ":8080"
//	worker:
//	  capacity: 8
//	  label: [gpu=true, zone=eu]
//
// A top-level key may be a flag of any command: it applies wherever that flag
// exists. Keys that are no flag (of any command, or of the section's command)
// and values of the wrong kind (a mapping or null for a flag, a list for a
// flag that takes one value) are usage errors, whichever command runs.
// Scalar values are their text as written (see parseConfig).
type fileConfig = map[string]any

// envFlags are the flags that also come from the environment; the environment
// beats the file. (DROVER_ZK_AUTH is the credentials themselves, which a
// file's zk-auth-file would otherwise replace.)
var envFlags = map[string]string{"zk": "DROVER_ZK", "root": "DROVER_ROOT", "zk-auth-file": "DROVER_ZK_AUTH"}

// applyConfigFile fills every flag of cmd that was not given on the command
// line (nor by its environment variable) from the file named by --config or
// DROVER_CONFIG: flags > environment > file > defaults.
func applyConfigFile(cmd *cobra.Command, path string) error {
	if path == "" {
		return nil
	}
	data, err := readFileMax(path, 1<<20)
	if err != nil {
		return usageErr("--config: %v", err)
	}
	fc, err := parseConfig(data)
	if err != nil {
		return usageErr("--config %s: %s", path, strings.Join(strings.Fields(err.Error()), " "))
	}
	sch := schemaOf(cmd.Root())
	if err := sch.check(fc); err != nil {
		return usageErr("--config %s: %v", path, err)
	}
	var section map[string]any
	if sch.isSection(cmd.Name(), fc[cmd.Name()]) {
		section = asMap(fc[cmd.Name()])
	}
	var ferr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, no := f.Annotations[notFromFile]; ferr != nil || f.Changed || f.Name == "config" || no {
			return
		}
		if env := envFlags[f.Name]; env != "" && os.Getenv(env) != "" {
			return
		}
		v, ok := section[f.Name]
		if !ok {
			v, ok = fc[f.Name]
			ok = ok && !sch.isSection(f.Name, v)
		}
		if !ok {
			return
		}
		if err := setFlag(f, v); err != nil {
			ferr = usageErr("--config %s: %s: %v", path, f.Name, err)
		}
		// Given, as far as the command is concerned: bench, say, uses the
		// ensemble the file names instead of starting its own.
		f.Changed = true
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[fromConfigFile] = nil
	})
	return ferr
}

// errSeveralDocuments refuses a config file of more than one YAML document:
// only the first was read, and the settings after a `---` were dropped
// without a word.
var errSeveralDocuments = errors.New("more than one YAML document (a `---` line after the first document starts another): keep every setting in one")

// parseConfig reads a config file of one YAML document (an empty file, or
// one of comments only, is no settings). A file of several is refused,
// empty ones included: `---\n---\n` is two empty documents, not one.
//
// Every scalar is kept as written, not as YAML would type it: `id: 0123`
// is the string "0123" (not the octal 83), `name: 1.10` is "1.10" (not the
// float 1.1); a numeric or boolean flag parses that text itself.
func parseConfig(data []byte) (fileConfig, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if err := dec.Decode(new(yaml.Node)); err == nil {
		return nil, errSeveralDocuments
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	// The typed decode refuses what is no mapping of settings, a key
	// given twice, and a document that expands its aliases without end,
	// before the second walk over the same tree keeps the text.
	var typed map[string]any
	if err := doc.Decode(&typed); err != nil {
		return nil, err
	}
	var w asWritten
	if err := doc.Decode(&w); err != nil {
		return nil, err
	}
	return asMap(w.v), nil
}

// asWritten is a YAML value with its scalars as written: nil for null, a
// string for any other scalar, []any for a sequence and map[string]any for
// a mapping. Aliases and merge keys resolve as in any decode.
type asWritten struct{ v any }

func (w *asWritten) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	// Pointers: a null item of a sequence decodes as a nil one, where an
	// asWritten would be dropped from the list.
	case yaml.MappingNode:
		var m map[string]*asWritten
		if err := n.Decode(&m); err != nil {
			return err
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v.value()
		}
		w.v = out
	case yaml.SequenceNode:
		var l []*asWritten
		if err := n.Decode(&l); err != nil {
			return err
		}
		out := make([]any, len(l))
		for i, v := range l {
			out[i] = v.value()
		}
		w.v = out
	case yaml.ScalarNode:
		if n.ShortTag() != "!!null" {
			w.v = n.Value
		}
	}
	return nil
}

// value is w's value; nil for a null.
func (w *asWritten) value() any {
	if w == nil {
		return nil
	}
	return w.v
}

// fromConfigFile annotates a flag the config file set.
const fromConfigFile = "drover-config-file"

// notFromFile annotates a flag no config file sets (ls's filters: one
// listing's, no default; and named like commands, worker: and schedule:
// would be taken for them).
const notFromFile = "drover-not-from-file"

// lineOnlyWhy is why a file may not set a commandLineOnly flag.
const lineOnlyWhy = "ls's filters are one listing's, given on the command line"

// commandLineOnly marks flags no config file sets.
func commandLineOnly(f *pflag.FlagSet, names ...string) {
	for _, n := range names {
		_ = f.SetAnnotation(n, notFromFile, nil)
	}
}

// givenOnCommandLine reports whether flag name of cmd was given on its
// command line (or by the environment), not by the config file.
func givenOnCommandLine(cmd *cobra.Command, name string) bool {
	f := cmd.Flags().Lookup(name)
	if f == nil || !f.Changed {
		return false
	}
	_, fromFile := f.Annotations[fromConfigFile]
	return !fromFile
}

// configSchema is what a config file may hold: the flags of every command.
type configSchema struct {
	list     map[string]bool            // flag name -> some command's flag of that name takes a list
	commands map[string]map[string]bool // command name -> its flags (of all commands of that name)
	// lineOnly: command name -> its flags no file sets (notFromFile),
	// refused with that reason, not as unknown.
	lineOnly map[string]map[string]bool
	// groups are the commands that have subcommands, and program the
	// program's name: no command reads a section of theirs.
	groups  []string
	program string
}

func schemaOf(root *cobra.Command) configSchema {
	sch := configSchema{list: map[string]bool{}, commands: map[string]map[string]bool{}, lineOnly: map[string]map[string]bool{}, program: root.Name()}
	var walk func(c *cobra.Command)
	var noSection func(c *cobra.Command)
	noSection = func(c *cobra.Command) {
		sch.groups = append(sch.groups, c.Name())
		for _, sub := range c.Commands() {
			noSection(sub)
		}
	}
	walk = func(c *cobra.Command) {
		if isHelpOrCompletion(c) {
			// They read no config file: a section of theirs (bash:,
			// help:) or their flags would be accepted and do nothing.
			noSection(c)
			return
		}
		// Sections are read by the command running, under its last word:
		// the program's and a group's (schedule, deadletter) would be read
		// by none.
		flags := map[string]bool{}
		if c != root && !c.HasSubCommands() {
			if sch.commands[c.Name()] == nil {
				sch.commands[c.Name()] = flags
			}
			flags = sch.commands[c.Name()]
		} else if c != root {
			sch.groups = append(sch.groups, c.Name())
		}
		add := func(f *pflag.Flag) {
			if _, no := f.Annotations[notFromFile]; no {
				if sch.lineOnly[c.Name()] == nil {
					sch.lineOnly[c.Name()] = map[string]bool{}
				}
				sch.lineOnly[c.Name()][f.Name] = true
				return
			}
			_, isList := f.Value.(pflag.SliceValue)
			sch.list[f.Name] = sch.list[f.Name] || isList
			flags[f.Name] = true
		}
		c.LocalFlags().VisitAll(add)
		c.InheritedFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return sch
}

// isSection reports whether the top-level key k with value v is a command's
// section: a mapping, or empty, under a command's name.
func (sch configSchema) isSection(k string, v any) bool {
	_, isCmd := sch.commands[k]
	return isCmd && (v == nil || asMap(v) != nil)
}

// notInFile are flags a config file may not set: key names one task, and
// from a file it would name every one (a `key` made every later submit
// return the first task), as after and after-key would make every one wait
// for the same tasks; config and help are read before the file is.
var notInFile = map[string]string{"key": "an idempotency key names one task; give it with --key",
	// Every submit would wait for the same tasks, long gone soon: each
	// later one ended cancelled at once, "not found".
	"after":     "a task's dependencies are that task's; give them with --after",
	"after-key": "a task's dependencies are that task's; give them with --after-key",
	// Every submit would read the file (and refuse a command with it).
	"file": "a file of tasks names one batch; give it with submit -f",
	// Every schedule apply would remove the schedules its file leaves out.
	"prune": "it removes schedules; give --prune to the schedule apply that means it",
	// Read before the file, or naming it: set in one, they did nothing.
	"config": "a config file names no other; give --config on the command line",
	"help":   "help is asked for on the command line (--help)"}

// check validates a whole file: every key names a flag, every value has a
// kind that flag takes.
func (sch configSchema) check(fc fileConfig) error {
	for _, k := range sortedKeys(fc) {
		v := fc[k]
		if why, ok := notInFile[k]; ok {
			return fmt.Errorf("%s: not a setting for a file: %s", k, why)
		}
		if sch.isSection(k, v) {
			flags, sec := sch.commands[k], asMap(v)
			for _, fk := range sortedKeys(sec) {
				// Said of a command that has the flag (every one has
				// --config and --help): another is told it is no setting of
				// its own (add: after: was told to give schedule add
				// --after, which it refuses).
				if why, ok := notInFile[fk]; ok && (flags[fk] || fk == "config" || fk == "help") {
					return fmt.Errorf("%s: %s: not a setting for a file: %s", k, fk, why)
				}
				if !flags[fk] {
					if sch.lineOnly[k][fk] {
						return fmt.Errorf("%s: %s: not a setting for a file: %s", k, fk, lineOnlyWhy)
					}
					return fmt.Errorf("%s: unknown setting %q (not a flag of drover %s)", k, fk, k)
				}
				if err := checkValue(sec[fk], sch.list[fk]); err != nil {
					return fmt.Errorf("%s: %s: %v", k, fk, err)
				}
			}
			continue
		}
		if _, ok := sch.list[k]; !ok {
			if _, isCmd := sch.commands[k]; isCmd {
				return fmt.Errorf("%s: want a section of that command's flags", k)
			}
			if k == sch.program || slices.Contains(sch.groups, k) {
				return fmt.Errorf("%s: no command reads a section of that name: a section is named by the command's last word (add for schedule add; ls for ls and deadletter ls); global settings go at the top", k)
			}
			for _, only := range sch.lineOnly {
				if only[k] {
					return fmt.Errorf("%s: not a setting for a file: %s", k, lineOnlyWhy)
				}
			}
			return fmt.Errorf("unknown setting %q (not a flag of any drover command)", k)
		}
		if err := checkValue(v, sch.list[k]); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	return nil
}

// checkValue checks the YAML kind of one flag's value.
func checkValue(v any, listOK bool) error {
	switch val := v.(type) {
	case nil:
		return errors.New("no value")
	case []any:
		if !listOK {
			return errors.New("want one value, not a list")
		}
		for _, item := range val {
			if err := checkValue(item, false); err != nil {
				return fmt.Errorf("list item: %v", err)
			}
		}
		return nil
	}
	if asMap(v) != nil {
		return errors.New("want a value, not a mapping")
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// asMap returns a YAML mapping as map[string]any (nil if v is not one).
func asMap(v any) map[string]any {
	switch m := v.(type) {
	case map[string]any:
		return m
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out
	}
	return nil
}

// setFlag sets f from a checked config value (its text as written, see
// parseConfig); a list only for a list flag.
func setFlag(f *pflag.Flag, v any) error {
	if list, ok := v.([]any); ok {
		if _, isList := f.Value.(pflag.SliceValue); !isList {
			return errors.New("want one value, not a list")
		}
		for _, item := range list {
			if err := f.Value.Set(fmt.Sprint(item)); err != nil {
				return valueError(err)
			}
		}
		return nil
	}
	if _, isChoice := f.Value.(*choice); isChoice && v == "" {
		// priority: "" in a file is written on purpose (no unset variable
		// behind it), and releases before choice flags read it as the
		// default: it keeps meaning that.
		return nil
	}
	return valueError(f.Value.Set(fmt.Sprint(v)))
}

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration",
		Args:  subcommandArgs,
		RunE:  wantSubcommand,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "print",
		Short: "Print the effective global settings (flags > environment > --config file > defaults) as YAML (-o json: JSON)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := map[string]string{}
			cmd.Root().PersistentFlags().VisitAll(func(f *pflag.Flag) {
				out[f.Name] = f.Value.String()
			})
			if g.output == "json" {
				// JSON has no comments: where the credentials come from is
				// a key of its own ("zk-auth-file": "" read as none).
				if c := g.credentialSources(); c != "" {
					out["zk-auth-from"] = c
				}
				return writeJSON(cmd.OutOrStdout(), out)
			}
			names := make([]string, 0, len(out))
			for n := range out {
				names = append(names, n)
			}
			sort.Strings(names)
			var b strings.Builder
			for _, n := range names {
				v, _ := yaml.Marshal(out[n])
				if _, no := notInFile[n]; no {
					// Usable as a file as printed: a file may not name
					// another (config), said as a comment.
					fmt.Fprintf(&b, "# %s: %s", n, v)
					continue
				}
				if c := g.credentialSources(); n == "zk-auth-file" && c != "" {
					v = append(bytes.TrimSuffix(v, []byte("\n")), " # "+c+"\n"...)
				}
				fmt.Fprintf(&b, "%s: %s", n, v)
			}
			_, err := fmt.Fprint(cmd.OutOrStdout(), b.String())
			return err
		},
	})
	return cmd
}

// credentialSources says which environment variables the ZooKeeper
// credentials come from ("" for none, or a --zk-auth-file only), for config
// print, which shows zk-auth-file "" when DROVER_ZK_AUTH holds them. It
// names the variables, never the secrets.
func (g *globals) credentialSources() string {
	var from []string
	if g.zkAuth != "" && g.zkAuthFile == "" {
		from = append(from, "credentials from DROVER_ZK_AUTH")
	}
	if g.zkReadOnlyAuth != "" {
		from = append(from, "read-only identity from DROVER_ZK_AUTH_READONLY")
	}
	return strings.Join(from, "; ")
}
