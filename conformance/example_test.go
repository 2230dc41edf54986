package conformance_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Run the suite against a receiver in the same process: here wahook's reference receiver, which
// passes the strict profile. In a Go test, conformance.Run(t, cfg) runs each case as a subtest instead.
func Example() {
	srv := httptest.NewServer(receiver.New(receiver.Options{Provider: schemas.InnoPaaS}))
	defer srv.Close()

	report, err := conformance.Execute(context.Background(), conformance.Config{
		Target:  mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS},
		Profile: conformance.Strict,
		Run:     "^(valid|documented|reject|delivery)/", // every group but tolerate and auth
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, res := range report.Failures() {
		fmt.Println(report.Details(res))
	}
	fmt.Println("failed:", report.Summary.Failed, "skipped:", report.Summary.Skipped)
	// Output:
	// failed: 0 skipped: 0
}
