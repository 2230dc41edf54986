package conformance_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wahook/wahook/examples/receiver"
)

// serve starts h on a loopback port for the test, with the server's own log silenced: some receivers
// here panic on purpose.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	return start(t, func(*httptest.Server) http.Handler { return h })
}

// start is serve for a handler that needs its server, such as one that kills it.
func start(t testing.TB, handler func(*httptest.Server) http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = handler(srv)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// reference is the reference receiver with default options.
func reference() http.Handler { return receiver.New(receiver.Options{}) }

// peek reads the request body and puts it back for the wrapped handler.
func peek(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// messageType returns the message type of a body of either provider, "" when there is none.
func messageType(body []byte) string {
	var doc struct {
		Body    struct{ Type string } `json:"body"`
		Message struct{ Type string } `json:"message"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	return doc.Body.Type + doc.Message.Type
}
