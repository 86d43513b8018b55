// Command upper-worker is an example of a Go program that runs typed Drover
// tasks with a handler function instead of shell commands, and submits one.
//
//	drover dev &                       # a local cluster
//	go run ./examples/upper-worker     # registers a worker with handler "upper"
//
// Like drover, it reads DROVER_ZK, DROVER_ROOT and DROVER_ZK_AUTH (and
// DROVER_ZK_AUTH_READONLY). Its worker id is -id, or HOST-PID by default, so
// several copies can run at once. Ctrl-C or SIGTERM drains it (what runs
// finishes, what waits for a slot goes back to the queue), a second one
// stops it at once.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("upper-worker: ")
	host, _ := os.Hostname()
	id := flag.String("id", fmt.Sprintf("%s-%d", host, os.Getpid()), "worker id")
	flag.Parse()
	if err := run(*id); err != nil {
		log.Fatal(err)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(id string) error {
	// ctx ends at the first signal (the worker drains), runCtx, which Run
	// serves under, at the second (it stops at once).
	ctx, drained := context.WithCancel(context.Background())
	defer drained()
	runCtx, kill := context.WithCancel(context.Background())
	defer kill()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() { // ends with runCtx, at the latest when run returns
		select {
		case <-sigs:
		case <-runCtx.Done():
			return
		}
		log.Printf("stopping: draining; signal again to stop at once")
		drained()
		select {
		case <-sigs:
			kill()
		case <-runCtx.Done():
		}
	}()
	cfg := store.Config{
		Servers:      strings.Split(envOr("DROVER_ZK", "127.0.0.1:2181"), ","),
		Root:         envOr("DROVER_ROOT", "/drover"),
		Auth:         os.Getenv("DROVER_ZK_AUTH"), // user:password; never print it
		ReadOnlyAuth: os.Getenv("DROVER_ZK_AUTH_READONLY"),
	}
	open := func() (*store.Store, error) {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		st, err := store.Open(octx, cfg)
		if err != nil {
			return nil, fmt.Errorf("connect to ZooKeeper at %v, root %s: %w", cfg.Servers, cfg.Root, err)
		}
		return st, nil
	}
	wst, err := open()
	if err != nil {
		return err
	}
	defer wst.Close()
	w, err := worker.New(worker.Config{ID: id, Store: wst, Capacity: 8})
	if err != nil {
		return err
	}
	// The handler: typed input (the payload), output kept as the task's stdout.
	if err := w.Handle("upper", worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) {
		fmt.Fprintf(t.Log, "upper-casing %d bytes\n", len(t.Payload)) // its stderr: drover logs -f shows it
		return bytes.ToUpper(t.Payload), nil
	})); err != nil {
		return err
	}
	ran := make(chan error, 1)
	go func() { ran <- w.Run(runCtx) }()
	defer context.AfterFunc(ctx, w.Drain)() // the first signal drains it

	// Registration waits while another live process holds the same id.
	log.Printf("registering worker %s under %s ...", id, cfg.Root)
	giveUp := time.After(time.Minute)
	for waiting := true; waiting; {
		select {
		case <-w.Registered():
			waiting = false
		case err := <-ran:
			if err == nil {
				return nil // drained before it registered
			}
			return fmt.Errorf("worker %s: %w", id, err)
		case <-time.After(5 * time.Second):
			log.Printf("still waiting to register %s: is another process using this id?", id)
		case <-giveUp:
			return fmt.Errorf("worker %s not registered after a minute: is another process using this id?", id)
		case <-ctx.Done():
			return <-ran
		}
	}
	log.Printf("worker %s registered", id)

	// Submit one task for the handler and wait for its result.
	cst, err := open()
	if err != nil {
		return err
	}
	defer cst.Close()
	c := client.New(cst)
	res, err := c.Submit(ctx, []client.TaskSpec{{Handler: "upper", Payload: []byte("hello from go\n")}})
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	t, err := c.Wait(ctx, res[0].ID)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("wait for task %s: %w", res[0].ID, err)
	}
	if err == nil {
		fmt.Printf("task %s %s: %s", t.ID, t.State, t.Stdout)
		fmt.Println("worker running; Ctrl-C to stop")
	}
	<-ctx.Done()
	return <-ran // the drain ends Run, which deregisters the worker first
}
