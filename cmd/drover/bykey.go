package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// keyFlag registers --key on a command that takes task ids: the tasks
// idempotency keys name (submit --key), in place of their ids.
func keyFlag(cmd *cobra.Command, keys *[]string, many bool) {
	usage := "the task this idempotency key names (submit --key), in place of its id"
	if many {
		usage = "the task this idempotency key names (submit --key), as well as the ids given; repeat it for each key"
	}
	cmd.Flags().StringArrayVar(keys, "key", nil, usage)
}

// taskIDOrKey takes exactly one task id, or none with --key given once.
func taskIDOrKey(cmd *cobra.Command, args []string) error {
	// (GetStringArray reads [""] as none.)
	switch err := onceErr(cmd); {
	case err != nil:
		return err
	case !cmd.Flags().Changed("key"):
		return taskIDArg(cmd, args)
	case len(args) > 0:
		return usageErr("%s: give a task id or --key, not both", cmdName(cmd))
	}
	return nil
}

// idsOfKeys returns the ids of the tasks keys name, on a connection of
// its own (keyIDs).
func idsOfKeys(g *globals, name string, keys []string) (ids []string, err error) {
	err = g.withReader(func(ctx context.Context, c *client.Client) error {
		ids, err = keyIDs(ctx, c, name, keys)
		return err
	})
	return ids, err
}

// keyIDs returns the ids of the tasks keys name, in turn: a key no task
// has, or whose task is found nowhere, is exit 1, as an id found nowhere
// is.
func keyIDs(ctx context.Context, c *client.Client, name string, keys []string) ([]string, error) {
	var ids []string
	for _, k := range keys {
		id, err := keyID(ctx, c, name, k)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// keyID returns the id of the task key names, as keyTask finds it.
func keyID(ctx context.Context, c *client.Client, name, k string) (string, error) {
	t, err := keyTask(ctx, c, name, k)
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// keyTask returns the task key names: a key no task has, or whose task is
// found nowhere, is exit 1 saying so.
func keyTask(ctx context.Context, c *client.Client, name, k string) (*store.Task, error) {
	switch {
	case k == "":
		return nil, usageErr("%s: --key \"\": empty (a key is 1 to %d bytes)", name, client.MaxKeyLen)
	case len(k) > client.MaxKeyLen:
		// As submit --key refuses it: no task can have it.
		return nil, usageErr("%s: --key of %d bytes: at most %d", name, len(k), client.MaxKeyLen)
	}
	t, err := c.TaskOfKey(ctx, k)
	switch {
	case errors.Is(err, store.ErrNoKey):
		return nil, exitCode(1, fmt.Sprintf("%s: no task has the key %q (never given to this cluster (--root, --zk), or gone with its task: pruned by retention, or moved aside as malformed: drover deadletter ls)", name, k))
	case errors.Is(err, store.ErrUnknownTask):
		return nil, exitCode(1, fmt.Sprintf("%s: the task of key %q not found (%s)", name, k, notFoundWhy))
	case err != nil:
		// The store's error names the key (a record that does not
		// decode, a read's failure): led by the command, as the
		// others are.
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// keyFailed says whether err is keyID's for that key alone: it names no
// task found, or its record or its task's does not decode (the task's
// moved to deadletter/ by the look-up) or is a newer release's. cancel and
// retry say so and go on with the other tasks, as for such an id.
func keyFailed(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == 1 && ee.msg != "" ||
		errors.Is(err, store.ErrMalformed) || errors.Is(err, store.ErrUnsupportedVersion)
}

// taskArg is the one task id a command was given, or the id of the task
// its --key names (logs -f, which follows it by id).
func taskArg(g *globals, cmd *cobra.Command, args []string, keys []string) (string, error) {
	if len(keys) == 0 {
		return args[0], nil
	}
	ids, err := idsOfKeys(g, cmdName(cmd), keys)
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// lookupArgThen is lookupThen of the one task id a command was given, or
// of the task its --key names, read once on the same connection.
func lookupArgThen(g *globals, cmd *cobra.Command, args, keys []string, then func(context.Context, *client.Client, *store.Task)) (t *store.Task, err error) {
	if len(keys) == 0 {
		return lookupThen(g, args[0], then)
	}
	err = g.withReader(func(ctx context.Context, c *client.Client) error {
		if t, err = keyTask(ctx, c, cmdName(cmd), keys[0]); err == nil && then != nil {
			then(ctx, c, t)
		}
		return err
	})
	return t, err
}
