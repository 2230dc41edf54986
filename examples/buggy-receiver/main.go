// Command buggy-receiver is a webhook receiver with two bugs of the kind receivers ship with, for
// trying `wahook fuzz` on. Do not copy it: copy examples/receiver.
//
//   - It parses ITNIO Tech coordinates with strconv.ParseFloat and answers 500 when that fails.
//   - It stores text messages in a column of 1000 bytes and answers 413 to longer ones, though
//     WhatsApp allows 4096 characters.
//
// It prints its URL on its first line of output, then serves until interrupted.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "buggy-receiver:", err)
		os.Exit(2)
	}
	fmt.Printf("http://%s/webhook\n", l.Addr())
	srv := &http.Server{Handler: http.HandlerFunc(handle)}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(l); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "buggy-receiver:", err)
		os.Exit(1)
	}
}

type message struct {
	Type string `json:"type"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Location *struct {
		Latitude  any `json:"latitude"`
		Longitude any `json:"longitude"`
	} `json:"location"`
}

func handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var payload struct {
		Message *message `json:"message"` // ITNIO Tech
		Body    *message `json:"body"`    // InnoPaaS
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	msg := payload.Message
	if msg == nil {
		msg = payload.Body
	}
	if msg == nil {
		http.Error(w, "no message", http.StatusBadRequest)
		return
	}
	if msg.Text != nil && len(msg.Text.Body) > 1000 { // bug: WhatsApp allows 4096 characters
		http.Error(w, "text too long", http.StatusRequestEntityTooLarge)
		return
	}
	if msg.Location != nil && payload.Message != nil {
		lat, _ := msg.Location.Latitude.(string)
		if _, err := strconv.ParseFloat(lat, 64); err != nil { // bug: trusts the field to be a number
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
