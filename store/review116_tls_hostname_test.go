package store_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// dnsOnlyTLS writes a CA and a server certificate that names the server
// by its host name only ("localhost": no IP SAN), as most certificates
// issued for a ZooKeeper ensemble do (zk1.example.com).
func dnsOnlyTLS(t *testing.T, dir string) (zkserver.TLSFiles, *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "review116 CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour),
		DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caTmpl, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	files := zkserver.TLSFiles{KeyStore: filepath.Join(dir, "server.pem"), CA: filepath.Join(dir, "ca.pem")}
	keystore := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER})...)
	if err := os.WriteFile(files.KeyStore, keystore, 0o600); err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(files.CA, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return files, pool
}

// README, Security: `--zk ZKHOST:SECUREPORT --zk-tls-ca ca.pem ...`. The
// server's certificate names ZKHOST, and the client verifies it against
// that name. Drover's dialer is handed the address the ZooKeeper client's
// host provider resolved the name to (127.0.0.1:PORT), and verifies the
// certificate against that IP: a certificate issued for the host name
// (no IP SAN) is refused, "x509: cannot validate certificate for
// 127.0.0.1 because it doesn't contain any IP SANs", and TLS works only
// with certificates that list every server's IP address.
func TestTLSVerifiesTheServerByTheNameGivenInZk(t *testing.T) {
	files, pool := dnsOnlyTLS(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := zkserver.Start(ctx, zkserver.Config{TLS: &files})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	_, port, _ := net.SplitHostPort(srv.SecureAddr())
	octx, ocancel := context.WithTimeout(ctx, 10*time.Second)
	defer ocancel()
	st, err := store.Open(octx, store.Config{Servers: []string{"localhost:" + port}, Root: "/tls-name", SessionTimeout: 2 * time.Second,
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatalf("open over TLS with --zk localhost:%s and a certificate for localhost: %v", port, err)
	}
	st.Close()
}
