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
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "ls",
		Short: "List what was moved aside: where from, why, when",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withReader(func(_ context.Context, c *client.Client) error {
				list, err := c.Deadletters()
				if err != nil {
					return err
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
	})
	return cmd
}
