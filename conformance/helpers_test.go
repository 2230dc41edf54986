package conformance_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/examples/receiver/broken"
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

// peek and messageType look into a request, for receivers that misbehave on some inputs.
var (
	peek        = broken.Peek
	messageType = broken.MessageType
	credentials = broken.Credentials
)
