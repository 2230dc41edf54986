package fuzz_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Fuzz a receiver that answers 500 to any body that is not JSON: one finding, written with its
// minimised reproducer under Out.
func Example() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf [1]byte
		if n, _ := r.Body.Read(buf[:]); n == 0 || buf[0] != '{' {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer receiver.Close()
	out, err := os.MkdirTemp("", "wahook-fuzz-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(out)

	report, err := fuzz.Run(context.Background(), fuzz.Options{
		Target: mockprovider.Target{URL: receiver.URL, Provider: schemas.ITNIOTech},
		Count:  2000, Seed: 3, Out: filepath.Join(out, "crashes"), MaxFindings: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range report.Findings {
		fmt.Println(f.Outcome, f.Status)
	}
	// Output:
	// 5xx 500
}
