package server_test

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/mockprovider"
)

// tlsReceiver starts an https receiver with httptest's self-signed certificate and returns it with a
// pool that trusts it. Its log is silenced: some tests make it refuse handshakes on purpose.
func tlsReceiver(t *testing.T) (*httptest.Server, *server.Options) {
	t.Helper()
	rec := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	rec.Config.ErrorLog = log.New(io.Discard, "", 0)
	rec.StartTLS()
	t.Cleanup(rec.Close)
	return rec, &server.Options{Target: mockprovider.Target{TLS: mockprovider.TLS{RootCAs: rec.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}}
}

// TestSendTrust: every delivery of /v1/send trusts the certificates the server was started with, or
// none with Insecure; a send may ask for insecure itself.
func TestSendTrust(t *testing.T) {
	rec, trusting := tlsReceiver(t)
	tests := []struct {
		name     string
		opts     server.Options
		insecure bool // the request's "insecure"
		outcome  delivery.Outcome
		class    delivery.ErrorClass
	}{
		{"the system's roots refuse a self-signed certificate", server.Options{}, false, delivery.Failed, delivery.ClassTLS},
		{"the server's root CAs", server.Options{Target: mockprovider.Target{TLS: mockprovider.TLS{RootCAs: trusting.TLS.RootCAs}}}, false, delivery.Acked, delivery.ClassNone},
		{"an insecure server", server.Options{Target: mockprovider.Target{TLS: mockprovider.TLS{Insecure: true}}}, false, delivery.Acked, delivery.ClassNone},
		{"an insecure send", server.Options{}, true, delivery.Acked, delivery.ClassNone},
		{"an insecure send to a server with root CAs", server.Options{Target: mockprovider.Target{TLS: mockprovider.TLS{RootCAs: trusting.TLS.RootCAs}}}, true, delivery.Acked, delivery.ClassNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, tt.opts)
			resp := postSend(t, client(t), srv, mustJSON(t, map[string]any{
				"target": rec.URL, "provider": "itniotech", "types": []string{"text"}, "retries": "none", "insecure": tt.insecure,
			}))
			require.Len(t, resp.Results, 1)
			r := resp.Results[0]
			assert.Equal(t, tt.outcome, r.Outcome)
			require.Len(t, r.Attempts, 1)
			assert.Equal(t, tt.class, r.Attempts[0].Class, r.Attempts[0].Error)
		})
	}
}

// TestTimerTrust: the timer's deliveries trust the server's root CAs too.
func TestTimerTrust(t *testing.T) {
	rec, opts := tlsReceiver(t)
	opts.URL, opts.Every, opts.Provider, opts.Types = rec.URL, time.Hour, "itniotech", []string{"text"}
	opts.Retries = "none"
	srv := start(t, *opts)
	c := client(t)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		list, ok := tryDeliveries(ct, c, srv, "?status=acked")
		if ok {
			assert.Len(ct, list.Deliveries, 1)
		}
	}, 10*time.Second, 5*time.Millisecond)
}

func TestNewRefusesInsecureWithRootCAs(t *testing.T) {
	_, opts := tlsReceiver(t)
	opts.TLS.Insecure = true
	_, err := server.New(*opts)
	require.ErrorIs(t, err, server.ErrBadOptions)
	assert.EqualError(t, err, "bad server options: insecure cannot be combined with root CAs")
}

// TestSendRefusesCAFile: the control API refuses a caFile without reading it: the answer is the same
// whether the path exists, is a certificate, a directory or nothing at all, so a caller learns nothing
// about the server's files.
func TestSendRefusesCAFile(t *testing.T) {
	rec, _ := tlsReceiver(t)
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rec.Certificate().Raw}), 0o600))
	srv := start(t, server.Options{})
	c := client(t)
	var answers []string
	for _, path := range []any{cert, dir, filepath.Join(dir, "missing.pem"), "/etc/shadow", nil} {
		status, body := post(t, c, srv.URL()+"/v1/send", mustJSON(t, map[string]any{
			"target": rec.URL, "provider": "itniotech", "caFile": path,
		}))
		assert.Equal(t, http.StatusBadRequest, status, "caFile %v", path)
		var e struct{ Error string }
		require.NoError(t, json.Unmarshal(body, &e), "%s", body)
		answers = append(answers, e.Error)
	}
	for _, a := range answers {
		assert.Equal(t, "caFile: the control API reads no file a caller names; start wahook serve with --ca-file to trust a certificate", a)
	}
	assert.Empty(t, deliveries(t, c, srv, "").Deliveries, "nothing was sent")
}
