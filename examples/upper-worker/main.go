// Command upper-worker is an example of a Go program that runs typed Drover
// tasks with a handler function instead of shell commands, and submits one.
//
//	drover dev &                       # a local cluster
//	go run ./examples/upper-worker     # registers a worker with handler "upper"
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "upper-worker:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	zk := os.Getenv("DROVER_ZK")
	if zk == "" {
		zk = "127.0.0.1:2181"
	}
	open := func() (*store.Store, error) {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return store.Open(octx, store.Config{Servers: []string{zk}})
	}
	wst, err := open()
	if err != nil {
		return err
	}
	defer wst.Close()
	w, err := worker.New(worker.Config{ID: "upper-worker", Store: wst, Capacity: 8})
	if err != nil {
		return err
	}
	// The handler: typed input (the payload), output kept as the task's stdout.
	if err := w.Handle("upper", worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) {
		return bytes.ToUpper(t.Payload), nil
	})); err != nil {
		return err
	}
	go func() { _ = w.Run(ctx) }()
	<-w.Registered()

	// Submit one task for the handler and wait for its result.
	cst, err := open()
	if err != nil {
		return err
	}
	defer cst.Close()
	c := client.New(cst)
	res, err := c.Submit(ctx, []client.TaskSpec{{Handler: "upper", Payload: []byte("hello from go\n")}})
	if err != nil {
		return err
	}
	t, err := c.Wait(ctx, res[0].ID)
	if err != nil {
		return err
	}
	fmt.Printf("task %s %s: %s", t.ID, t.State, t.Stdout)
	fmt.Println("worker running; Ctrl-C to stop")
	<-ctx.Done()
	return nil
}
