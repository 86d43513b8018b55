package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// NewWorker builds a worker's handler set: /metrics and /healthz. (The
// dashboard and the API are the schedulers'.)
func NewWorker(w *worker.Worker, st *store.Store) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(w.Version()), &workerCollector{w: w, st: st})
	srv := &Server{st: st, mux: http.NewServeMux()}
	srv.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return srv
}

type workerCollector struct {
	w  *worker.Worker
	st *store.Store
}

var (
	descWCapacity   = prometheus.NewDesc("drover_worker_capacity", "Attempts this worker runs at once.", nil, nil)
	descWExecuting  = prometheus.NewDesc("drover_worker_attempts_running", "Attempts running now.", nil, nil)
	descWPrefetch   = prometheus.NewDesc("drover_worker_prefetch", "Assignments beyond capacity the leader may place on this worker, to wait for a slot.", nil, nil)
	descWWaiting    = prometheus.NewDesc("drover_worker_assignments_waiting", "Assignments waiting for a slot now (prefetched).", nil, nil)
	descWStarted    = prometheus.NewDesc("drover_worker_attempts_started_total", "Attempts started.", nil, nil)
	descWReported   = prometheus.NewDesc("drover_worker_attempts_reported_total", "Attempts whose outcome was posted.", nil, nil)
	descWOutcomes   = prometheus.NewDesc("drover_worker_attempts_outcome_total", "Attempts whose outcome was posted, by what it made of the task: succeeded, retry (failed, queued again), failed (for good), dead.", []string{"outcome"}, nil)
	descWKilled     = prometheus.NewDesc("drover_worker_attempts_killed_total", "Attempts killed, nothing posted: withdrawn (cancel, timeout), session lost or cut off, drain deadline, stop.", nil, nil)
	descWUnreported = prometheus.NewDesc("drover_worker_attempts_unreported_total", "Attempts that ended but whose outcome could not be posted: withdrawn meanwhile, session lost, write refused.", nil, nil)
	descWSlotWait   = prometheus.NewDesc("drover_worker_slot_wait_seconds", "Time an assignment waited on this worker for a slot, from when the worker listed it to its start (prefetched ones wait behind what runs).", nil, nil)
	descWHandedBack = prometheus.NewDesc("drover_worker_assignments_handed_back_total", "Assignments a drain gave back to the queue before they started (prefetched ones waiting for a slot).", nil, nil)
	descWRegistered = prometheus.NewDesc("drover_worker_registered", "1 while a registration of the worker serves.", nil, nil)
	descWDraining   = prometheus.NewDesc("drover_worker_draining", "1 while the worker drains.", nil, nil)
	descWLive       = prometheus.NewDesc("drover_worker_live_output_writes_total", "Writes of running commands' output for their followers (drover logs -f): none while nobody follows.", nil, nil)
	descWAbandoned  = prometheus.NewDesc("drover_worker_handlers_abandoned", "Go handlers abandoned (they ignored the end of their context) whose goroutines still run in this process.", nil, nil)
	descWGuard      = prometheus.NewDesc("drover_worker_guard_losses_total", "Guard processes lost (killed or stopped by hand) and replaced.", nil, nil)
)

func (c *workerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWCapacity, descWExecuting, descWPrefetch, descWWaiting, descWStarted, descWReported, descWOutcomes, descWKilled, descWUnreported, descWHandedBack, descWSlotWait, descWRegistered, descWDraining, descWGuard, descWLive, descWAbandoned, descZK, descDropped} {
		ch <- d
	}
}

func (c *workerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.w.Stats()
	b := boolValue
	connected, _ := c.st.Connected()
	ch <- prometheus.MustNewConstMetric(descWCapacity, prometheus.GaugeValue, float64(s.Capacity))
	ch <- prometheus.MustNewConstMetric(descWExecuting, prometheus.GaugeValue, float64(s.Executing))
	ch <- prometheus.MustNewConstMetric(descWPrefetch, prometheus.GaugeValue, float64(s.Prefetch))
	ch <- prometheus.MustNewConstMetric(descWWaiting, prometheus.GaugeValue, float64(s.Waiting))
	ch <- prometheus.MustNewConstMetric(descWStarted, prometheus.CounterValue, float64(s.Started))
	ch <- prometheus.MustNewConstMetric(descWReported, prometheus.CounterValue, float64(s.Reported))
	for i, outcome := range worker.Outcomes {
		ch <- prometheus.MustNewConstMetric(descWOutcomes, prometheus.CounterValue, float64(s.Outcomes[i]), outcome)
	}
	ch <- prometheus.MustNewConstMetric(descWKilled, prometheus.CounterValue, float64(s.Killed))
	ch <- prometheus.MustNewConstMetric(descWUnreported, prometheus.CounterValue, float64(s.Unreported))
	ch <- prometheus.MustNewConstMetric(descWHandedBack, prometheus.CounterValue, float64(s.HandedBack))
	ch <- prometheus.MustNewConstHistogram(descWSlotWait, s.SlotWait.Count, s.SlotWait.Sum, s.SlotWait.Buckets)
	ch <- prometheus.MustNewConstMetric(descWRegistered, prometheus.GaugeValue, b(s.Registered))
	ch <- prometheus.MustNewConstMetric(descWDraining, prometheus.GaugeValue, b(s.Draining))
	ch <- prometheus.MustNewConstMetric(descWGuard, prometheus.CounterValue, float64(s.GuardLosses))
	ch <- prometheus.MustNewConstMetric(descWLive, prometheus.CounterValue, float64(s.LiveWrites))
	ch <- prometheus.MustNewConstMetric(descWAbandoned, prometheus.GaugeValue, float64(s.Abandoned))
	ch <- prometheus.MustNewConstMetric(descZK, prometheus.GaugeValue, b(connected))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(c.st.DeadlettersDropped()))
}

func boolValue(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
