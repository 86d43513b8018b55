package zkserver

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestStartKillRestartStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if ans, err := FourLetter(s.Addr(), "ruok"); err != nil || ans != "imok" {
		t.Fatalf("ruok: %q %v", ans, err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := FourLetter(s.Addr(), "ruok"); err == nil {
		t.Fatal("server answers after Kill")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if ans, err := FourLetter(s.Addr(), "ruok"); err != nil || ans != "imok" {
		t.Fatalf("ruok after restart: %q %v", ans, err)
	}
	dir := s.DataDir()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temporary data dir %s left behind: %v", dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestEnsembleSurvivesOneMember(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e, err := StartEnsemble(ctx, 3, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	if got := len(e.Servers()); got != 3 {
		t.Fatalf("%d servers", got)
	}
	if err := e.Servers()[0].Halt(); err != nil {
		t.Fatal(err)
	}
	// The other two still form a quorum.
	if err := e.WaitReady(ctx); err != nil {
		t.Fatalf("quorum after losing one member: %v", err)
	}
	if err := e.Restart(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}
