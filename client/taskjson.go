package client

import "github.com/drover-sched/drover/store"

// TaskJSON is the stable JSON form of a task, one shape for the CLI (`-o
// json` of status, ls, cancel and retry) and the HTTP API (/api/v1/tasks and
// tasks/ID, which redact it): the fields of the task record plus "attempts".
// Its shape:
//
//	{
//	  "v": 1,                        record format version
//	  "id": "01J...",                the task id (a ULID)
//	  "name": "backup",              omitted when empty
//	  "cmd": ["./backup.sh", "/data"],
//	  "shell": true,                 omitted when false
//	  "env": {"K": "V"},             omitted when empty
//	  "retries": 3,
//	  "no_retry_exit": [2, 64],      exit codes that end it at once, omitted when none
//	  "timeout_ms": 600000,          omitted when 0 (no limit)
//	  "on": {"gpu": "true"},         required worker labels, omitted when empty
//	  "priority": "low|normal|high",
//	  "key": "...",                  idempotency key, omitted when empty
//	  "submitted_at": "RFC 3339",
//	  "after": ["01J..."],           tasks that must succeed before its first attempt, omitted when none
//	  "state": "queued|assigned|running|succeeded|failed|cancelled|dead",
//	  "attempt": 1,                  the current (or last) attempt, 1-based
//	  "attempts": 1,                 attempts placed so far, started or not (0 while first queued)
//	  "not_before": "RFC 3339",      while queued: not placed before then (a retry's backoff,
//	                                 or the start --at / --in asked of a first attempt), omitted when none
//	  "start_by": "RFC 3339",        a task under a starting deadline (its schedule's, or submit's):
//	                                 the latest its first attempt may start (or one after attempts
//	                                 that never started), omitted when none
//	  "history": [{"n","worker","started_at","finished_at","exit_code","error","lost","cancelled",
//	               "unstarted","stdout","stderr"}],   the last 2 KiB of each, the last 10 attempts that ran
//	                                 (a finished task's last attempt: in its own stdout/stderr)
//	  "worker": "w1",                where it runs (or last ran), "" when none
//	  "assigned_at", "started_at", "finished_at": "RFC 3339", each omitted when not yet
//	  "exit_code": 0,                null until finished: -1 when it ended without a
//	                                 code of its own (timeout, cancelled, worker lost)
//	  "error": "timeout after 1m0s", why, in that case
//	  "stdout", "stderr": "...",     the last 64 KiB of each, once finished
//	                                 (/api/v1/tasks leaves out all output: tasks/ID has it)
//	  "reg", "epoch": placement bookkeeping
//	}
type TaskJSON struct {
	*store.Task
	Attempts int `json:"attempts"`
	// Always present (README promises them), shadowing the record's omitempty fields.
	Worker   string `json:"worker"`
	ExitCode *int   `json:"exit_code"`
}

// TaskJSONOf returns t's stable JSON form; it shares t.
func TaskJSONOf(t *store.Task) TaskJSON {
	return TaskJSON{Task: t, Attempts: attemptsMade(t), Worker: t.Worker, ExitCode: t.ExitCode}
}

// attemptsMade counts the attempts t has made, the one placed or running
// included.
func attemptsMade(t *store.Task) int {
	switch t.State {
	case store.StateAssigned, store.StateRunning:
		return len(t.History) + 1
	}
	return len(t.History)
}
