package web

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Front serves a daemon's --http address from its start, before it has a
// ZooKeeper session: a scrape of a daemon still connecting (ZooKeeper out
// of reach) was taken by the bound port and never answered. Until Set gives
// it the daemon's Server, /metrics has the build, Go and process metrics and
// drover_zookeeper_connected 0, /healthz says ok (the process lives),
// /readyz and the API 503, and the rest 503 too.
type Front struct {
	cur      atomic.Pointer[http.Handler]
	starting http.Handler
}

// NewFront returns a Front that answers as a daemon of the given release
// still connecting.
func NewFront(version string) *Front {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(version), prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: zkConnectedName, Help: zkConnectedHelp},
			func() float64 { return 0 }))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /api/", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, nil, errUnavailable) })
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "connecting to ZooKeeper\n", http.StatusServiceUnavailable)
	})
	return &Front{starting: hardened(loopbackHostsOnly(mux))}
}

// drover_zookeeper_connected, as the servers and Front export it.
const (
	zkConnectedName = "drover_zookeeper_connected"
	zkConnectedHelp = "1 while the ZooKeeper session is connected."
)

// Set makes s answer every request from now on.
func (f *Front) Set(s *Server) {
	h := s.Handler()
	f.cur.Store(&h)
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := f.cur.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	f.starting.ServeHTTP(w, r)
}

// Serve serves ln until ctx ends, as Server.Serve does.
func (f *Front) Serve(ctx context.Context, ln net.Listener) error {
	return serveHandler(ctx, ln, f, apiReadTimeout)
}
