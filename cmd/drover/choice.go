package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// choice is a string flag that takes one of a fixed set of values. Any other
// is refused when the flag is set, on the command line or from a config
// file, as a usage error (exit 2); on the command line the empty string too
// (--priority "$PRIO" with the variable unset), which the client would have
// read as the default. A config file's empty value keeps the default.
type choice struct {
	p       *string
	choices []string
	list    bool // a comma-separated list of them (choiceListVar)
}

// choiceVar defines a choice flag with default def (which need not be one of
// the choices: ls --state's "" means every state, and only the default may
// be it).
func choiceVar(f *pflag.FlagSet, p *string, name, def, usage string, choices ...string) {
	*p = def
	f.Var(&choice{p: p, choices: choices}, name, usage)
}

// choiceListVar is choiceVar for a comma-separated list of the choices
// (ls --state failed,dead).
func choiceListVar(f *pflag.FlagSet, p *string, name, def, usage string, choices ...string) {
	*p = def
	f.Var(&choice{p: p, choices: choices, list: true}, name, usage)
}

func (c *choice) Set(s string) error {
	words := []string{s}
	if c.list {
		words = strings.Split(s, ",")
	}
	for _, w := range words {
		if !slices.Contains(c.choices, w) {
			if c.list && len(words) > 1 {
				return fmt.Errorf("want %s, or several joined by commas, got %q in %q", orList(c.choices), w, s)
			}
			return fmt.Errorf("want %s, got %q", orList(c.choices), s)
		}
	}
	*c.p = s
	return nil
}

func (c *choice) String() string { return *c.p }

// Type is "string" so that the usage shows the default quoted, as for any
// string flag.
func (c *choice) Type() string { return "string" }

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
