// Package web is a scheduler's read-only HTTP face: Prometheus metrics, health
// and readiness, a JSON API of the cluster, and a live dashboard whose assets are
// embedded in the binary. Any scheduler serves it, leader or standby; it changes
// nothing in the cluster, but moves malformed data it reads to deadletter, as
// every process does.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

//go:embed static
var static embed.FS

// Server serves one scheduler's metrics, API and dashboard.
type Server struct {
	sched  *scheduler.Scheduler
	st     *store.Store
	client *client.Client
	mux    *http.ServeMux
	// reads holds a token per API read of ZooKeeper in flight, including reads
	// abandoned by their request, so requests cannot pile up on a stuck store.
	reads chan struct{}
	// answers holds a token per API request being answered, from before its
	// reads until its answer is written: a read's token goes back when the
	// read ends, and its answer (a page of up to listMaxBytes, and its
	// JSON) then waited on a client that does not read for up to the write
	// timeout, so memory grew with the requests sent, not with maxReads.
	answers chan struct{}
	// readTimeout bounds the ZooKeeper reads of one API request.
	readTimeout time.Duration
}

const (
	// maxReads bounds the API's ZooKeeper reads in flight.
	maxReads = 8
	// apiReadTimeout is the default bound of one request's ZooKeeper reads.
	apiReadTimeout = 10 * time.Second
	// metricsReadTimeout bounds the ZooKeeper read of one scrape.
	metricsReadTimeout = 2 * time.Second
)

// errUnavailable means ZooKeeper did not answer in time (or is not
// connected); the API answers 503, as it does to a read whose connection was
// lost under it (store.ErrConnection, store.ErrSessionExpired).
var errUnavailable = errors.New("ZooKeeper unavailable")

// errNoEndpoint is a path under /api/v1/ that no route serves: 404.
var errNoEndpoint = errors.New("no such API endpoint")

// buildInfo is drover_build_info{version}, always 1: which release a
// process runs, to check that an upgrade went round.
func buildInfo(version string) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "drover_build_info", Help: "1, labelled with the release this process runs.",
		ConstLabels: prometheus.Labels{"version": version}}, func() float64 { return 1 })
}

// New builds the handler set for a scheduler and its store.
func New(s *scheduler.Scheduler, st *store.Store) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(s.Version()), &collector{s: s, st: st, timeout: metricsReadTimeout})
	srv := &Server{sched: s, st: st, client: client.NewFailFast(st), mux: http.NewServeMux(),
		reads: make(chan struct{}, maxReads), answers: make(chan struct{}, maxReads), readTimeout: apiReadTimeout}
	// The collector bounds its own read; Timeout is a backstop.
	srv.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Timeout: 2 * metricsReadTimeout}))
	srv.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv.mux.HandleFunc("GET /readyz", srv.ready)
	srv.mux.HandleFunc("GET /api/v1/cluster", srv.answering(accepts(srv.cluster)))
	srv.mux.HandleFunc("GET /api/v1/tasks", srv.answering(accepts(srv.tasks, "state", "limit", "name", "worker", "schedule", "before")))
	srv.mux.HandleFunc("GET /api/v1/tasks/{id}", srv.answering(accepts(srv.task)))
	srv.mux.HandleFunc("GET /api/v1/schedules", srv.answering(accepts(srv.schedules, "limit")))
	srv.mux.HandleFunc("GET /api/v1/schedules/{name}", srv.answering(accepts(srv.schedule)))
	srv.mux.HandleFunc("GET /api/", apiNotFound) // and any other version
	srv.mux.HandleFunc("GET /api", apiNotFound)
	assets, _ := fs.Sub(static, "static")
	srv.mux.Handle("GET /", http.FileServerFS(assets))
	return srv
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return hardened(loopbackHostsOnly(apiReadOnly(s.mux))) }

// hardened sets the headers that keep a browser from reading a response as
// another type than it says (task output in JSON taken for HTML), framing
// the dashboard in another site's page, or running any script but its own.
func hardened(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// loopbackHostsOnly answers a request that came over loopback only when its
// Host names loopback (localhost, 127.0.0.1, [::1]) or this machine, or is
// missing (see loopbackHost): a web page in a browser
// on the machine could otherwise point a name of its own at 127.0.0.1 (DNS
// rebinding) and read the API as if it were its own origin. A reverse proxy
// on the same machine sends Host: localhost.
func loopbackHostsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(la) && !loopbackHost(r.Host) {
			msg := "Host " + strconv.Quote(r.Host) + " is not loopback: over loopback this server answers loopback names and the machine's own only"
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeJSON(w, nil, &statusError{code: http.StatusMisdirectedRequest, msg: msg})
				return
			}
			http.Error(w, msg, http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// loopbackHost reports whether host (with or without a port) names loopback.
func loopbackHost(host string) bool {
	if host == "" {
		// An HTTP/1.0 probe sends none; a browser, and so a rebinding
		// page, always does.
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	// The machine's own name, which often resolves to loopback (Debian's
	// 127.0.1.1): `--http $(hostname):8080` refused every request made by
	// that name. A page rebinding a name of its own cannot send it.
	if own := hostName(); own != "" && strings.EqualFold(host, own) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostName is this machine's name, without a trailing dot ("" unknown).
var hostName = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return strings.TrimSuffix(h, ".")
})

// ListenAddr makes "host:port" of addr, binding loopback when no host is
// given (":8080" or "8080").
func ListenAddr(addr string) string {
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

// Serve listens on addr until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serveHandler(ctx, ln, s.Handler(), s.readTimeout)
}

// serveHandler serves ln with h until ctx ends, then shuts down gracefully.
func serveHandler(ctx context.Context, ln net.Listener, h http.Handler, readTimeout time.Duration) error {
	// A client that stops reading an answer (or keeps an idle connection)
	// would otherwise hold its handler, and the answer it encodes, for as
	// long as it keeps the connection: the write deadline leaves the
	// request's reads their whole bound and 20 s to send the answer.
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout: readTimeout + 20*time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		<-errc
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if ok, _ := s.st.Connected(); !ok {
		http.Error(w, "not connected to ZooKeeper\n", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// read runs fn, which reads ZooKeeper, for a request. It fails at once with
// errUnavailable while the store is not connected (a read would wait for the
// reconnection), and gives up when ctx ends or after the server's read timeout;
// fn is given a context that ends then, to stop early if it can.
// A read given up on finishes in the background, holding one of maxReads
// tokens, so at most maxReads such reads exist. fn's results may be used only
// when read returns fn's own error (nil included).
func (s *Server) read(ctx context.Context, fn func(context.Context) error) error {
	if ok, _ := s.st.Connected(); !ok {
		return fmt.Errorf("%w: not connected", errUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, s.readTimeout)
	defer cancel()
	select {
	case s.reads <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: too many reads waiting: %w", errUnavailable, ctx.Err())
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-s.reads }()
		// The token is held until the reads end, not when the client
		// would stop waiting for them (client.Unabandoned).
		done <- fn(client.Unabandoned(ctx))
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: no answer: %w", errUnavailable, ctx.Err())
	}
}

// answering runs h, which reads ZooKeeper and writes what it read, holding
// one of maxReads answer tokens until h returns (its answer written, or
// the write given up at the server's write timeout); it answers 503 when
// none comes within the read timeout.
func (s *Server) answering(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.readTimeout)
		defer cancel()
		select {
		case s.answers <- struct{}{}:
		case <-ctx.Done():
			writeJSON(w, nil, fmt.Errorf("%w: too many answers waiting: %w", errUnavailable, ctx.Err()))
			return
		}
		defer func() { <-s.answers }()
		// A client that does not read holds its token until the write gives
		// up: its reads' bound and answerWrite, not the server's write
		// timeout (eight such clients kept the API at 503 for good); one
		// that reads, however slowly, gets answerWrite more for each
		// answerChunk.
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(s.readTimeout + answerWrite))
		h(&paced{ResponseWriter: w, rc: rc}, r)
	}
}

// answerWrite is how long a client may take to read answerChunk of an API
// answer (the first once its reads are done).
const (
	answerWrite = 5 * time.Second
	answerChunk = 64 << 10
	// answerMax bounds the whole write of an answer: a client reading just
	// under a chunk each answerWrite held its token for minutes.
	answerMax = time.Minute
)

// paced writes an answer answerChunk at a time, each with answerWrite to
// go out: a slow reader's large page was cut off mid-body at one fixed
// deadline.
type paced struct {
	http.ResponseWriter
	rc    *http.ResponseController
	until time.Time // answerMax from the first write
}

func (p *paced) Write(b []byte) (int, error) {
	if p.until.IsZero() {
		p.until = time.Now().Add(answerMax)
	}
	n := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), answerChunk)]
		deadline := time.Now().Add(answerWrite)
		if deadline.After(p.until) {
			deadline = p.until
		}
		_ = p.rc.SetWriteDeadline(deadline)
		m, err := p.ResponseWriter.Write(chunk)
		n += m
		if err != nil {
			return n, err
		}
		b = b[m:]
	}
	return n, nil
}

// Unwrap is for http.ResponseController.
func (p *paced) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// apiPaths are the API's routes, as a 404 names them.
const apiPaths = "/api/v1/cluster, /api/v1/tasks, /api/v1/tasks/ID, /api/v1/schedules, /api/v1/schedules/NAME"

// apiNotFound answers a path the API does not have in JSON, as the routes
// answer their errors, not with the file server's text page.
func apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, nil, fmt.Errorf("%w: %s (the API's: %s)", errNoEndpoint, r.URL.Path, apiPaths))
}

// apiReadOnly answers a method other than GET (or HEAD) under /api/ in
// JSON, as the API's other errors, not with the mux's text page.
func apiReadOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && (strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api") {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, nil, &statusError{code: http.StatusMethodNotAllowed, msg: "method " + r.Method + " not allowed: the API is read-only (GET)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// statusError is an error answered with its own status code.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func writeJSON(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	code := http.StatusOK
	var se *statusError
	switch {
	case errors.As(err, &se):
		code = se.code
		v = map[string]string{"error": err.Error()}
	case errors.Is(err, errUnavailable), errors.Is(err, store.ErrConnection), errors.Is(err, store.ErrSessionExpired),
		errors.Is(err, store.ErrClosed):
		// An outage, not a fault of Drover's: a connection lost under the
		// read is one as much as a store not connected when it began, or
		// closed under it (the scheduler shutting down). Clients and load
		// balancers retry a 503.
		w.Header().Set("Retry-After", "1")
		code = http.StatusServiceUnavailable
		v = map[string]string{"error": err.Error()}
	case errors.Is(err, store.ErrUnknownTask), errors.Is(err, store.ErrNoSchedule), errors.Is(err, errNoEndpoint):
		code = http.StatusNotFound
		v = map[string]string{"error": err.Error()}
	case errors.Is(err, client.ErrInvalid):
		code = http.StatusBadRequest
		v = map[string]string{"error": err.Error()}
	case errors.Is(err, store.ErrMalformed), errors.Is(err, store.ErrUnsupportedVersion):
		// A record this build cannot read: the data's fault, not the
		// server's (client.Status moved a malformed one aside).
		code = http.StatusUnprocessableEntity
		v = map[string]string{"error": err.Error()}
	case err != nil:
		code = http.StatusInternalServerError
		v = map[string]string{"error": err.Error()}
	}
	// Encoded whole before the status goes: an answer that does not
	// encode was a 200 with an empty body.
	body, merr := json.Marshal(v)
	if merr != nil {
		code = http.StatusInternalServerError
		body, _ = json.Marshal(map[string]string{"error": "encode the answer: " + merr.Error()})
	}
	w.WriteHeader(code)
	_, _ = w.Write(body) // then the newline the encoder ended with: appended, a large answer was copied whole
	_, _ = io.WriteString(w, "\n")
}

// clusterView is the dashboard's main payload.
type clusterView struct {
	Leader *client.LeaderInfo `json:"leader"`
	// Served is the role of the scheduler answering: "leader" or "standby";
	// ServedByID its id.
	Served     string                `json:"served_by"`
	ServedByID string                `json:"served_by_id"`
	Workers    []client.WorkerStatus `json:"workers"`
	Stats      statsView             `json:"stats"`
}

// statsView is a scheduler's Stats with the leader's counts, queued,
// workers and cordons, null where they are not the cluster's: on a standby,
// which keeps no queue, and before the leader's view is ready. Zeros read
// as "nothing queued, no worker left, none cordoned" (as /metrics leaves
// them out).
type statsView struct {
	scheduler.Stats
	Queued  map[string]int64 `json:"queued"`
	Workers *int64           `json:"workers"`
	Cordons *int64           `json:"cordons"`
	// HeadWaitSeconds is Stats.HeadWait (drover_queue_head_wait_seconds);
	// null where Queued is.
	HeadWaitSeconds *float64 `json:"head_wait_seconds"`
	// Delayed is Stats.Delayed (drover_queue_delayed); null where Queued is.
	Delayed *int64 `json:"delayed"`
	// Held is Stats.Held (drover_queue_held); null where Queued is.
	Held *int64 `json:"held"`
}

func viewStats(st scheduler.Stats) statsView {
	v := statsView{Stats: st}
	if st.Leader && st.ViewReady {
		v.Queued, v.Workers, v.Cordons = st.Queued, &st.Workers, &st.Cordons
		wait := st.HeadWait.Seconds()
		v.HeadWaitSeconds, v.Delayed, v.Held = &wait, &st.Delayed, &st.Held
	}
	return v
}

func (s *Server) cluster(w http.ResponseWriter, r *http.Request) {
	v := clusterView{Stats: viewStats(s.sched.Stats()), Workers: []client.WorkerStatus{}, Served: "standby", ServedByID: s.sched.ID()}
	if v.Stats.Leader {
		v.Served = "leader"
	}
	var (
		leader  *client.LeaderInfo
		ws      []client.WorkerStatus
		skipped int
	)
	err := s.read(r.Context(), func(ctx context.Context) error {
		// Only ErrNoLeader means "no leader": any other failure of the read
		// says nothing of the cluster, and a null leader would be a lie.
		l, err := s.client.Leader(ctx)
		switch {
		case err == nil:
			leader = &l
		case !errors.Is(err, client.ErrNoLeader):
			return fmt.Errorf("read the leader: %w", err)
		}
		ws, skipped, err = s.client.ListWorkers(ctx)
		return err
	})
	if err == nil {
		v.Leader = leader
		if ws != nil {
			v.Workers = ws
		}
		setSkipped(w, skipped)
	}
	writeJSON(w, v, err)
}

// setSkipped says, in X-Drover-Skipped, how many records a listing left
// out as unreadable (malformed, or of a newer Drover): as the CLI says on
// stderr, so a dashboard need not show a short list as the whole.
func setSkipped(w http.ResponseWriter, n int) {
	if n > 0 {
		w.Header().Set("X-Drover-Skipped", strconv.Itoa(n))
	}
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	var states []store.State
	q, given := queryParam(r, "state")
	// An empty state is refused as an empty limit is: a filter a script
	// left blank is a mistake, not a request for every state. Several,
	// joined by commas, list the tasks in any of them.
	if given {
		sts, err := client.ParseStates(q)
		if err != nil {
			writeJSON(w, nil, err)
			return
		}
		states = sts
	}
	limit, ok := parseLimit(w, r)
	if !ok {
		return
	}
	// As drover ls's flags; each given empty is refused, as state is.
	var filter client.TaskFilter
	for _, p := range []struct {
		name string
		to   *string
	}{{"name", &filter.Name}, {"worker", &filter.Worker}, {"schedule", &filter.Schedule}, {"before", &filter.Before}} {
		v, given := queryParam(r, p.name)
		if given && v == "" {
			writeJSON(w, nil, fmt.Errorf("%w: %s is empty: leave it out for every task", client.ErrInvalid, p.name))
			return
		}
		*p.to = v
	}
	if _, err := filter.Match(); err != nil {
		writeJSON(w, nil, err)
		return
	}
	var res client.Listing
	payloads := map[*store.Task]int{} // payload sizes of the tasks kept
	err := s.read(r.Context(), func(ctx context.Context) error {
		var err error
		res, err = s.client.ListTasks(ctx, client.ListOptions{States: states, Limit: limit, Budget: scanBudget(limit), Filter: filter,
			// The API shows a payload by its size, a variable by its name,
			// and a task's output only in tasks/ID: they are let go as each
			// record is read (1,000 near the size limit are a gigabyte, and
			// 1,000 tasks' output over 100 MB). What is left (commands)
			// may still be near it: a page holds at most listMaxBytes.
			MaxBytes: listMaxBytes,
			Slim: func(t *store.Task) {
				payloads[t], t.Payload = len(t.Payload), nil
				for k := range t.Env {
					t.Env[k] = redacted
				}
				dropOutput(t)
			}})
		return err
	})
	tasks := []taskView{}
	if err == nil {
		tasks = viewTasks(res.Tasks)
		for i, t := range res.Tasks {
			tasks[i].PayloadBytes = payloads[t]
		}
		w.Header().Set("X-Drover-Scanned", strconv.Itoa(res.Scanned))
		setSkipped(w, res.Skipped)
		if res.Truncated && res.Exact < limit {
			// The newest matching tasks may lie beyond the records read.
			// A full page known to be the newest (res.Exact) lacks none,
			// as drover ls says: only whether more match is unknown.
			w.Header().Set("X-Drover-Truncated", "true")
		}
		// More may match a full page: the next starts at its last task.
		// A page cut short (by the scan budget or the byte cap) starts the
		// next after the tasks known to be the newest (res.Exact): below
		// them, a source left unread may hold newer matching tasks than
		// the rest shown, which a cursor there would skip. A page with
		// neither header is the last. (Asking for one task more, to
		// tell, spent the budget in the first source read, and the byte
		// cap cut the one asked for.)
		if n := res.Exact; n > 0 && (n >= limit || res.Truncated) {
			w.Header().Set("X-Drover-Next-Before", res.Tasks[n-1].ID)
		}
	}
	writeJSON(w, tasks, err)
}

// dropOutput lets go of t's output (stdout and stderr, its own and its
// history's tails), which a listing leaves out; t is the listing's own copy.
func dropOutput(t *store.Task) {
	t.Stdout, t.Stderr = "", ""
	for i := range t.History {
		t.History[i].Stdout, t.History[i].Stderr = "", ""
	}
}

// listMaxBytes bounds what a page of tasks holds (some three times it
// while it is gathered: a source's reads each, before they are merged)
// (client.ListOptions.MaxBytes): a page cut short by it says so
// (X-Drover-Truncated), as one cut short by its scan budget does.
const listMaxBytes = 32 << 20

// A listing reads at most scanPerResult task records per task asked for, and
// never fewer than minScan: with a state filter few records may match.
const (
	minScan       = 1000
	scanPerResult = 10
)

// scanBudget is how many task records a listing of limit tasks may read.
func scanBudget(limit int) int { return max(scanPerResult*limit, minScan) }

func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	var t *store.Task
	err := s.read(r.Context(), func(ctx context.Context) error {
		var err error
		t, err = s.client.Status(ctx, r.PathValue("id"))
		return err
	})
	if err != nil {
		writeJSON(w, nil, err) // t belongs to a read that may still run
		return
	}
	writeJSON(w, viewTask(t), nil)
}

// schedules lists the first limit schedules by name (default 50, at most
// 1,000): reading every record of a large cluster on each of a dashboard's
// polls would load ZooKeeper for nothing. X-Drover-Truncated says more are
// left, or may be (client.SchedulesFirst's read budget). Each comes
// without its history (succeeded, failed, skipped: up to 1,000 runs each,
// some 150 KB a schedule on each poll): schedules/NAME has it.
func (s *Server) schedules(w http.ResponseWriter, r *http.Request) {
	limit, ok := parseLimit(w, r)
	if !ok {
		return
	}
	var (
		list    []client.ScheduleInfo
		more    bool
		skipped int
	)
	err := s.read(r.Context(), func(ctx context.Context) error {
		var err error
		list, more, skipped, err = s.client.SchedulesPage(ctx, limit)
		return err
	})
	if err != nil {
		writeJSON(w, nil, err) // list belongs to a read that may still run
		return
	}
	if more {
		w.Header().Set("X-Drover-Truncated", "true")
	}
	setSkipped(w, skipped)
	for i := range list {
		rec := *list[i].Schedule // the client's copy: its lists are not changed
		rec.Succeeded, rec.Failed, rec.Skipped = nil, nil, nil
		list[i].Schedule = &rec
	}
	writeJSON(w, viewSchedules(list), nil)
}

// schedule shows one schedule with its history (as drover schedule get).
func (s *Server) schedule(w http.ResponseWriter, r *http.Request) {
	var info client.ScheduleInfo
	err := s.read(r.Context(), func(ctx context.Context) error {
		var err error
		info, err = s.client.Schedule(ctx, r.PathValue("name"))
		return err
	})
	if err != nil {
		writeJSON(w, nil, err) // info belongs to a read that may still run
		return
	}
	writeJSON(w, viewSchedules([]client.ScheduleInfo{info})[0], nil)
}

// parseLimit reads a listing's limit query parameter: 1 – 1,000, default 50.
// ok is false when it answered the request with an error.
func parseLimit(w http.ResponseWriter, r *http.Request) (limit int, ok bool) {
	limit = 50
	q, given := queryParam(r, "limit")
	if given {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 1000 {
			writeJSON(w, nil, fmt.Errorf("%w: limit %q: want 1..1000", client.ErrInvalid, q))
			return 0, false
		}
		limit = n
	}
	return limit, true
}

// accepts answers a 400 to a request whose query does not parse, names a
// parameter other than params, or gives one twice, and passes the others to
// h. A parameter misspelt (?status=running) was dropped without a word,
// and the answer, unfiltered, passed for the filtered one.
func accepts(h http.HandlerFunc, params ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeJSON(w, nil, fmt.Errorf("%w: query: %v", client.ErrInvalid, err))
			return
		}
		for name, vs := range q {
			switch {
			case len(params) == 0:
				err = fmt.Errorf("%w: %s takes no query parameter, given %q", client.ErrInvalid, r.URL.Path, name)
			case !slices.Contains(params, name):
				err = fmt.Errorf("%w: unknown query parameter %q: want %s", client.ErrInvalid, name, strings.Join(params, " or "))
			case len(vs) > 1:
				err = fmt.Errorf("%w: %s given %d times", client.ErrInvalid, name, len(vs))
			}
			if err != nil {
				writeJSON(w, nil, err)
				return
			}
		}
		h(w, r)
	}
}

// queryParam is the value of the query parameter name, and whether it was
// given (possibly empty); accepts has checked the query.
func queryParam(r *http.Request, name string) (value string, given bool) {
	q := r.URL.Query()
	return q.Get(name), q.Has(name)
}

// collector turns a scheduler's Stats into drover_ metrics at scrape time.
type collector struct {
	s       *scheduler.Scheduler
	st      *store.Store
	timeout time.Duration // bound of a scrape's ZooKeeper read

	mu      sync.Mutex
	pending chan struct{} // closed when the deadletter read in flight ends
	dead    int32         // the last deadletter count read
	deadErr error         // the error of that read
}

var (
	descLeader    = prometheus.NewDesc("drover_leader", "1 when this scheduler leads.", nil, nil)
	descEpoch     = prometheus.NewDesc("drover_epoch", "Epoch of this scheduler's current or last term.", nil, nil)
	descQueued    = prometheus.NewDesc("drover_queue_depth", "Queued tasks known to the leader, by priority; only the leader reports it.", []string{"priority"}, nil)
	descWorkers   = prometheus.NewDesc("drover_workers", "Registered workers seen by the leader; only the leader reports it.", nil, nil)
	descHeadWait  = prometheus.NewDesc("drover_queue_head_wait_seconds", "How long the longest-waiting task first in its line (the queued tasks that fit the same workers, in placement order: priority, then age) has been ready to run, from its queue item's creation, as of the leader's last look each second; 0 with none ready. Rising without end: tasks no live worker takes, or whose workers are all busy. Only the leader reports it.", nil, nil)
	descHeld      = prometheus.NewDesc("drover_queue_held", "Queued tasks held for the tasks they run after (submit --after), counted in drover_queue_depth too, as of the leader's last look each second. Only the leader reports it.", nil, nil)
	descDelayed   = prometheus.NewDesc("drover_queue_delayed", "Queued tasks not yet due, counted in drover_queue_depth too: waiting out a retry's backoff or a start time (submit --at, --in), as of the leader's last look each second. Only the leader reports it.", nil, nil)
	descCordons   = prometheus.NewDesc("drover_cordons", "Worker ids cordoned (drover workers cordon): given no new work; only the leader reports it.", nil, nil)
	descElected   = prometheus.NewDesc("drover_elections_won_total", "Terms this scheduler has led (failovers to it).", nil, nil)
	descPlaced    = prometheus.NewDesc("drover_placements_total", "Attempts placed on workers.", nil, nil)
	descFenced    = prometheus.NewDesc("drover_fencing_rejections_total", "Terms ended by a write rejected by the fence.", nil, nil)
	descFired     = prometheus.NewDesc("drover_schedule_slots_fired_total", "Schedule slots fired.", nil, nil)
	descRecovered = prometheus.NewDesc("drover_attempts_withdrawn_total", "Attempts withdrawn from lost or stuck workers.", nil, nil)
	descEnded     = prometheus.NewDesc("drover_tasks_ended_by_leader_total", "Tasks the leader ended, by state: failed (a stuck worker's attempt withdrawn at its timeout, no retry left) or dead (its worker lost too often). Workers count the outcomes they post (drover_worker_attempts_outcome_total).", []string{"state"}, nil)
	descUnwrit    = prometheus.NewDesc("drover_schedule_firings_unwritable_total", "Schedule firings that could not be written, once per version of the schedule's record (its slots are tried again at every tick).", nil, nil)
	descZK        = prometheus.NewDesc(zkConnectedName, zkConnectedHelp, nil, nil)
	descPlaceLat  = prometheus.NewDesc("drover_placement_latency_seconds", "Time from when a task was last queued (submit, drover retry, a failed or lost attempt) or its backoff ended, to its placement on a worker.", nil, nil)
	descDead      = prometheus.NewDesc("drover_deadletter_records", "Malformed records moved aside (drover deadletter ls).", nil, nil)
	descDropped   = prometheus.NewDesc("drover_deadletter_dropped_total", "Malformed records done away with by this process, not moved aside: the deadletter directory was full.", nil, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLeader, descEpoch, descQueued, descHeadWait, descDelayed, descHeld, descWorkers, descCordons, descElected, descPlaced, descFenced, descFired, descRecovered, descEnded, descUnwrit, descZK, descDead, descDropped, descPlaceLat} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	b := boolValue
	connected, _ := c.st.Connected()
	ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, b(st.Leader))
	ch <- prometheus.MustNewConstMetric(descEpoch, prometheus.GaugeValue, float64(st.Epoch))
	if st.Leader && st.ViewReady {
		// Only the leader keeps a queue and a view of the workers: a
		// standby's zeros would read as an empty queue and no worker left
		// (an alert on drover_workers < 1 fired for every standby). So
		// would a new leader's, or one rebuilding its view, until it has
		// listed them.
		for p, n := range st.Queued {
			ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(n), p)
		}
		ch <- prometheus.MustNewConstMetric(descWorkers, prometheus.GaugeValue, float64(st.Workers))
		ch <- prometheus.MustNewConstMetric(descCordons, prometheus.GaugeValue, float64(st.Cordons))
		ch <- prometheus.MustNewConstMetric(descHeadWait, prometheus.GaugeValue, st.HeadWait.Seconds())
		ch <- prometheus.MustNewConstMetric(descDelayed, prometheus.GaugeValue, float64(st.Delayed))
		ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, float64(st.Held))
	}
	ch <- prometheus.MustNewConstMetric(descElected, prometheus.CounterValue, float64(st.Elected))
	ch <- prometheus.MustNewConstMetric(descPlaced, prometheus.CounterValue, float64(st.Placed))
	ch <- prometheus.MustNewConstMetric(descFenced, prometheus.CounterValue, float64(st.Fenced))
	ch <- prometheus.MustNewConstMetric(descFired, prometheus.CounterValue, float64(st.SlotsFired))
	ch <- prometheus.MustNewConstMetric(descRecovered, prometheus.CounterValue, float64(st.Recovered))
	ch <- prometheus.MustNewConstMetric(descEnded, prometheus.CounterValue, float64(st.EndedFailed), string(store.StateFailed))
	ch <- prometheus.MustNewConstMetric(descEnded, prometheus.CounterValue, float64(st.EndedDead), string(store.StateDead))
	ch <- prometheus.MustNewConstMetric(descUnwrit, prometheus.CounterValue, float64(st.Unwritable))
	ch <- prometheus.MustNewConstMetric(descZK, prometheus.GaugeValue, b(connected))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(c.st.DeadlettersDropped()))
	ch <- prometheus.MustNewConstHistogram(descPlaceLat, st.PlaceLatency.Count, st.PlaceLatency.Sum, st.PlaceLatency.Buckets)
	if n, ok := c.deadletters(connected); ok {
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(n))
	}
}

// deadletters counts the deadletter records. ok is false, and the metric is
// left out of the scrape, when the store is not connected (a read would wait
// for the reconnection) or the read takes longer than c.timeout; a read still
// in flight is joined, never doubled, so slow scrapes do not pile up reads.
func (c *collector) deadletters(connected bool) (n int32, ok bool) {
	if !connected {
		return 0, false
	}
	c.mu.Lock()
	done := c.pending
	if done == nil {
		done = make(chan struct{})
		c.pending = done
		go func() {
			_, st, err := c.st.Exists(c.st.Layout().Deadletter())
			c.mu.Lock()
			c.dead, c.deadErr, c.pending = st.NumChildren, err, nil
			c.mu.Unlock()
			close(done)
		}()
	}
	c.mu.Unlock()
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead, c.deadErr == nil
}
