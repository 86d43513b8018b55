package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
)

// Found by security review.

// TestAPIRefusesAForeignHostName: --http without a host binds loopback, so
// that only the machine's own users read the API; but the server answers a
// request whatever its Host header names. A web page the operator opens in
// a browser on that machine can point a name of its own at 127.0.0.1 (DNS
// rebinding) and, the browser taking it for the page's own origin, read
// /api/v1/tasks: every task's name, argv and output tails. A loopback
// server should answer only names of loopback (localhost, 127.0.0.1, [::1])
// or the names it was told to serve.
func TestAPIRefusesAForeignHostName(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	if _, err := client.New(st).Submit(context.Background(), []client.TaskSpec{
		{Name: "deploy", Cmd: []string{"deploy.sh", "--token-file", "/etc/deploy/token"}}}); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st) // on 127.0.0.1
	req, err := http.NewRequest("GET", hs.URL+"/api/v1/tasks", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "rebind.attacker.example" + hs.URL[strings.LastIndexByte(hs.URL, ':'):]
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode == http.StatusOK {
		t.Fatalf("a loopback server answered Host %s with 200:\n%s", req.Host, body)
	}
}

// A probe without a Host (HTTP/1.0: `curl -0`, simple health checkers) is
// answered: it got a 421, and no browser, so no rebinding page, sends none.
func TestRequestWithoutHostIsAnswered(t *testing.T) {
	hs := apiServer(t, drovertest.OpenStore(t, drovertest.NewRoot()))
	c, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(reply), "HTTP/1.0 200") {
		t.Fatalf("GET /healthz without a Host: %q", reply)
	}
}
