// Command benchsink is the loopback receiver `make bench-send` measures senders against: it answers
// 200 "ok" to any POST, over HTTP/1.1 with keep-alive, and does nothing else.
//
// It listens on -addr (127.0.0.1:0 picks a free port) and writes the address it got to -addr-file,
// so that a script can wait for it. It refuses any address that is not loopback.
//
//	go run ./internal/benchsink -addr 127.0.0.1:0 -addr-file /tmp/sink.addr
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	addrFile := flag.String("addr-file", "", "write the address listened on to this file")
	lifetime := flag.Duration("max-lifetime", 10*time.Minute, "exit after this long, whatever happens")
	flag.Parse()
	if err := serve(*addr, *addrFile, *lifetime); err != nil {
		fmt.Fprintln(os.Stderr, "benchsink:", err)
		os.Exit(2)
	}
}

func serve(addr, addrFile string, lifetime time.Duration) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if addrFile != "" {
		if err := os.WriteFile(addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(handle),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	// HTTP/1.1 only, as webhook providers deliver.
	srv.SetKeepAlivesEnabled(true)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-stop:
		case <-time.After(lifetime):
		}
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

var ok = []byte("ok")

func handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header()["Content-Type"] = []string{"text/plain"}
	_, _ = w.Write(ok)
}
