// Package hooktest holds what wahook's own tests share: receivers on loopback that keep quiet about
// the hostile requests the tests send them, a buffer a command can write while a test reads it, and
// readers of the files wahook writes (JUnit reports, corpus manifests).
package hooktest

import (
	"bytes"
	"encoding/xml"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
)

// QuietLog is an http.Server error log that drops everything: the tests send broken requests on
// purpose, and the server's complaints about them would bury the test output.
func QuietLog() *log.Logger { return log.New(io.Discard, "", 0) }

// Server starts h on a loopback port with a quiet error log, closed when t ends.
func Server(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = QuietLog()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TLSServer is Server over https, with httptest's self-signed certificate (srv.Certificate()).
func TLSServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = QuietLog()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Buffer is a bytes.Buffer that a command may write from its goroutines while the test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// JUnit is a JUnit XML report as wahook conform writes it, read back.
type JUnit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// ReadJUnit decodes a JUnit report, failing t when it is not one.
func ReadJUnit(t testing.TB, raw []byte) JUnit {
	t.Helper()
	var doc JUnit
	require.NoError(t, xml.Unmarshal(raw, &doc), "JUnit report:\n%s", raw)
	return doc
}

// Manifest reads the manifest of the corpus in dir, failing t on any line it cannot read.
func Manifest(t testing.TB, dir string) []corpus.Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, corpus.ManifestFile))
	require.NoError(t, err)
	defer f.Close()
	var out []corpus.Entry
	for e, err := range corpus.ReadManifest(f) {
		require.NoError(t, err, "manifest of %s", dir)
		out = append(out, e)
	}
	return out
}
