package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
)

// TestServerRefusesTheHostNameItWasToldToServe: README says "A server
// reached over loopback (`--http` without a host) answers only Host names
// of loopback, against DNS rebinding". But loopbackHostsOnly looks at the
// connection's local address, not at what --http said: a server started
// with `--http $(hostname):8080`, on the common set-up where the machine's
// own name resolves to loopback (Debian's 127.0.1.1 line in /etc/hosts;
// 127.0.0.1 here), refuses every request under the very name it was told
// to serve, /healthz and /metrics included: 421 "Host "vm:8080" is not
// loopback" about a name that is. So does one bound to every address
// (`--http 0.0.0.0:8080`) to a browser, scraper or health check on the
// machine that uses its name, while the same request from another machine
// is answered. DNS rebinding needs a name the attacker controls, never the
// one the operator gave --http. (Found by review127.)
func TestServerRefusesTheHostNameItWasToldToServe(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 || !ips[0].IsLoopback() {
		t.Skipf("host name %s does not resolve to loopback here (%v %v)", host, ips, err)
	}
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{host + ":0", "0.0.0.0:0"} {
		// As daemon.go does with --http: ListenAddr, then listen.
		ln, err := net.Listen("tcp", ListenAddr(flag))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = New(s, st).Serve(ctx, ln); close(done) }()
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		url := "http://" + net.JoinHostPort(host, port) + "/healthz"
		r, err := http.Get(url)
		if err != nil {
			cancel()
			<-done
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		cancel()
		<-done
		if r.StatusCode != http.StatusOK {
			t.Errorf("--http %s: GET %s (the machine's own name, which resolves to %v): %d %q, want 200",
				flag, url, ips[0], r.StatusCode, body)
		}
	}
}
