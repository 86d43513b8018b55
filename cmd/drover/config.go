package main

import (
	"fmt"
	"os"
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
type fileConfig = map[string]any

// envFlags are the flags that also come from the environment; the environment
// beats the file.
var envFlags = map[string]string{"zk": "DROVER_ZK", "root": "DROVER_ROOT"}

// applyConfigFile fills every flag of cmd that was not given on the command
// line (nor by its environment variable) from the file named by --config or
// DROVER_CONFIG: flags > environment > file > defaults.
func applyConfigFile(cmd *cobra.Command, path string) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return usageErr("--config: %v", err)
	}
	var fc fileConfig
	if err := yaml.Unmarshal(data, &fc); err != nil {
		return usageErr("--config %s: %v", path, oneLine(err.Error()))
	}
	section := asMap(fc[cmd.Name()])
	known := map[string]bool{}
	var ferr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		known[f.Name] = true
		if ferr != nil || f.Changed || f.Name == "config" {
			return
		}
		if env := envFlags[f.Name]; env != "" && os.Getenv(env) != "" {
			return
		}
		v, ok := section[f.Name]
		if !ok {
			v, ok = fc[f.Name]
		}
		if !ok {
			return
		}
		if err := setFlag(f, v); err != nil {
			ferr = usageErr("--config %s: %s: %v", path, f.Name, err)
		}
	})
	if ferr != nil {
		return ferr
	}
	for k, v := range fc {
		if asMap(v) != nil || known[k] {
			continue
		}
		if cmd.Root().PersistentFlags().Lookup(k) == nil {
			return usageErr("--config %s: unknown setting %q", path, k)
		}
	}
	return nil
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

func setFlag(f *pflag.Flag, v any) error {
	if list, ok := v.([]any); ok {
		for _, item := range list {
			if err := f.Value.Set(fmt.Sprint(item)); err != nil {
				return err
			}
		}
		return nil
	}
	return f.Value.Set(fmt.Sprint(v))
}

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "print",
		Short: "Print the effective global settings (flags > environment > --config file > defaults) as YAML",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := map[string]string{}
			cmd.Root().PersistentFlags().VisitAll(func(f *pflag.Flag) {
				out[f.Name] = f.Value.String()
			})
			names := make([]string, 0, len(out))
			for n := range out {
				names = append(names, n)
			}
			sort.Strings(names)
			var b strings.Builder
			for _, n := range names {
				v, _ := yaml.Marshal(out[n])
				fmt.Fprintf(&b, "%s: %s", n, v)
			}
			_, err := fmt.Fprint(cmd.OutOrStdout(), b.String())
			return err
		},
	})
	return cmd
}
