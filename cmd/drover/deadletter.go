package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/client"
)

func newDeadletterCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deadletter",
		Short: "Malformed data found in ZooKeeper and moved aside",
		Args:  subcommandArgs,
		RunE:  wantSubcommand,
	}
	var limit int
	ls := &cobra.Command{
		Use:   "ls [--limit N]",
		Short: "List what was moved aside: where from, why, when (the newest, oldest first)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usageErr("--limit %d: must not be negative", limit)
			}
			return g.withReader(func(ctx context.Context, c *client.Client) error {
				list, total, err := c.Deadletters(ctx, limit)
				if err != nil {
					return err
				}
				if total > len(list) {
					fmt.Fprintf(cmd.ErrOrStderr(), "drover: the newest %d of %d records (--limit 0 lists them all)\n", len(list), total)
				}
				if g.output == "json" {
					return writeJSON(cmd.OutOrStdout(), list)
				}
				rows := make([][]string, len(list))
				for i, e := range list {
					rows[i] = []string{e.ID, e.From, fmtTime(e.At), fmt.Sprintf("%d", len(e.Data)), e.Reason}
				}
				return table(cmd.OutOrStdout(), "ID\tFROM\tAT\tBYTES\tREASON", rows)
			})
		},
	}
	ls.Flags().IntVar(&limit, "limit", 100, "at most this many records, the newest (0: all)")
	cmd.AddCommand(ls)
	return cmd
}
