package conformance_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// counting counts the requests h is sent.
func counting(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}

// requests is how many requests the cases of report send, their canaries not counted.
func requests(report *conformance.Report) int {
	n := 0
	for _, res := range report.Results {
		if res.Outcome != conformance.Skip {
			n += res.Requests
		}
	}
	return n
}

// TestStallOnOneType: a receiver that stalls on every document message, and answers the rest at
// once, fails the document cases and no other, and costs a canary only for the first timeout and
// for the hostile cases: not one per document case.
func TestStallOnOneType(t *testing.T) {
	var seen atomic.Int64
	ref := reference()
	srv := serve(t, counting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if messageType(peek(r)) == "document" {
			<-r.Context().Done() // a synchronous download that does not come back
			return
		}
		ref.ServeHTTP(w, r)
	}), &seen))
	// Not the reject group: its 3 MiB body can take longer than so short a timeout under -race.
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech, Timeout: 500 * time.Millisecond}, Run: "^(valid/.*/[0-9]$|(documented|tolerate|delivery)/)"})
	var documents, hostile int
	for _, res := range report.Results {
		if res.Canary != nil {
			hostile++
		}
		switch {
		case res.Outcome == conformance.Fail:
			assert.True(t, res.Type == "document" || res.ID == "delivery/itniotech/burst-50", "%s: %s", res.ID, res.Reason)
			assert.Contains(t, res.Reason, "timeout", res.ID)
			documents++
		case res.Type == "document" && (res.Group == conformance.GroupValid || res.Group == conformance.GroupDocumented):
			t.Errorf("%s: %s, not failed", res.ID, res.Outcome)
		}
	}
	assert.Greater(t, documents, 10)
	canaries := int(seen.Load()) - requests(report) - 1 // the probe
	t.Logf("%d requests for %d cases, %d canaries", seen.Load(), len(report.Results), canaries)
	assert.Equal(t, hostile, canaries, "a canary is on record for each one sent")
	assert.Less(t, canaries, 30, "hostile cases and the first timeout only")
}

// TestSerialised: a receiver that handles one request at a time fails the burst case, passes the
// rest, and is sent one canary per hostile case at most.
func TestSerialised(t *testing.T) {
	var seen atomic.Int64
	var mu sync.Mutex
	ref := reference()
	srv := serve(t, counting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(15 * time.Millisecond) // a synchronous database write
		ref.ServeHTTP(w, r)
	}), &seen))
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS, Timeout: 400 * time.Millisecond}, Run: "^(valid/.*/[0-9]$|delivery/)"})
	failed := report.Failures()
	require.Len(t, failed, 1, "%v", failed)
	assert.Equal(t, "delivery/innopaas/burst-50", failed[0].ID)
	assert.Contains(t, failed[0].Reason, "of 50 concurrent deliveries failed")
	canaries := int(seen.Load()) - requests(report) - 1
	assert.Equal(t, 1, canaries, "the burst's canary only")
}

// TestSameVerdictsAtAnyConcurrency: the same seed gives the same report, latencies aside, one case
// at a time and eight: against a receiver with a failing type and one that dies of a hostile case.
func TestSameVerdictsAtAnyConcurrency(t *testing.T) {
	receivers := map[string]func() http.Handler{
		"500 on video": func() http.Handler {
			ref := reference()
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if messageType(peek(r)) == "video" {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		"the reference receiver": reference,
	}
	for name, newReceiver := range receivers {
		t.Run(name, func(t *testing.T) {
			var reports []*conformance.Report
			for _, n := range []int{1, 8} {
				srv := serve(t, newReceiver())
				reports = append(reports, execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Concurrency: n, Seed: 3}))
			}
			require.Equal(t, len(reports[0].Results), len(reports[1].Results))
			for i, a := range reports[0].Results {
				b := reports[1].Results[i]
				assert.Equal(t, a.ID, b.ID, "catalogue order")
				assert.Equal(t, a.Outcome, b.Outcome, a.ID)
				assert.Equal(t, a.Reason, b.Reason, a.ID)
				assert.Equal(t, a.Payloads, b.Payloads, a.ID)
				assert.Equal(t, a.Witness, b.Witness, a.ID)
			}
			assert.Equal(t, reports[0].Summary, reports[1].Summary)
		})
	}
}

// TestMaxFailuresAndBudget: the run stops after MaxFailures failed cases, and Budget skips what it
// leaves no time for, counting it apart so that no one takes the run for complete.
func TestMaxFailuresAndBudget(t *testing.T) {
	ref := reference()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if messageType(peek(r)) == "image" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		ref.ServeHTTP(w, r)
	}))
	cfg := conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, MaxFailures: 2, Concurrency: 1}
	report := execute(t, cfg)
	assert.Equal(t, 2, report.Summary.Failed)
	stopped := 0
	for _, res := range report.Results {
		if res.Reason == "not run: 2 cases failed, the most the run allows (max failures)" {
			stopped++
		}
	}
	assert.Greater(t, stopped, 300, "the rest are skipped")
	assert.Zero(t, report.Summary.OverBudget)

	cfg = conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Budget: time.Nanosecond}
	report = execute(t, cfg)
	assert.Zero(t, report.Summary.Passed+report.Summary.Failed)
	assert.Equal(t, report.Summary.Skipped-3, report.Summary.OverBudget, "all but the auth cases, skipped for want of credentials")
	for _, res := range report.Results {
		if res.Group != conformance.GroupAuth {
			assert.True(t, strings.HasPrefix(res.Reason, "not run: the run's budget of 1ns ran out"), res.Reason)
		}
	}

	for _, bad := range []conformance.Config{{Concurrency: -1}, {Concurrency: conformance.MaxConcurrency + 1}, {MaxFailures: -1}, {Budget: -time.Second}} {
		bad.Target = mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}
		_, err := conformance.Execute(t.Context(), bad, nil)
		assert.ErrorIs(t, err, conformance.ErrBadConfig)
	}
}

// TestSameSeedSameBytes: the same seed, provider and profile send the same multiset of request
// bodies, canaries included, whatever the receiver's timing: here it answers after a random pause,
// and 500s every video message.
func TestSameSeedSameBytes(t *testing.T) {
	record := func() map[string]int {
		var mu sync.Mutex
		seen := map[string]int{}
		ref := reference()
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := peek(r)
			mu.Lock()
			seen[string(body)]++
			mu.Unlock()
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			if messageType(body) == "video" {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			ref.ServeHTTP(w, r)
		}))
		execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Profile: conformance.Strict, Seed: 7})
		return seen
	}
	first, second := record(), record()
	total := 0
	for _, n := range first {
		total += n
	}
	assert.Greater(t, total, 400)
	assert.Equal(t, first, second, "the same bodies, as often")
}

// dieAnswering answers r as h would and goes down as a crashing process does, its listener and every
// connection closed the moment the answer is out, so that no request after this one finds it: the
// answer is written on the hijacked connection, which is closed right after it.
func dieAnswering(t *testing.T, srv *httptest.Server, w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n\r\n", rec.Code, http.StatusText(rec.Code), rec.Body.Len())
	_, _ = bw.Write(rec.Body.Bytes())
	_ = bw.Flush()
	srv.Listener.Close()
	conn.Close()
	srv.CloseClientConnections()
}

// TestWitnesses: the case after a hostile case is its witness. Against a live receiver, the
// witness's 2xx stands in for the hostile case's canary; against one that dies, breaks or refuses
// everything just after answering a hostile case, the witness does not get a 2xx, the hostile case's
// canary finds the receiver dead or broken, and the hostile case, not its witness, is blamed. The
// witnesses of the reject group expect 2xx or 4xx, so a receiver that refuses everything passes
// them: only the canary tells.
func TestWitnesses(t *testing.T) {
	// killer is the first hostile case of cases followed by one that is not.
	killer := func(t *testing.T, cases []conformance.Case) int {
		for i := 0; i+1 < len(cases); i++ {
			if cases[i].Hostile && !cases[i+1].Hostile && len(cases[i].Requests) == 1 {
				return i
			}
		}
		t.Fatal("no hostile case followed by one that is not")
		return -1
	}
	blamed := func(canary string) func(t *testing.T, cases []conformance.Case, report *conformance.Report, seen int) {
		return func(t *testing.T, cases []conformance.Case, report *conformance.Report, seen int) {
			k := killer(t, cases)
			failures := report.Failures()
			require.Len(t, failures, 1)
			assert.Equal(t, cases[k].ID, failures[0].ID)
			assert.Contains(t, failures[0].Reason, "receiver stopped answering after this case: canary got "+canary)
			require.NotNil(t, failures[0].Canary)
			assert.Empty(t, failures[0].Witness)
			witness := report.Results[k+1]
			assert.Equal(t, conformance.Skip, witness.Outcome, witness.ID)
			assert.Equal(t, "not run: the receiver stopped answering after "+cases[k].ID, witness.Reason)
		}
	}
	tests := []struct {
		name  string
		run   string
		after string // what becomes of the receiver once it has answered the killer: "", dies, breaks, refuses
		check func(t *testing.T, cases []conformance.Case, report *conformance.Report, seen int)
	}{
		{"alive: witnesses instead of canaries", "^tolerate/", "", func(t *testing.T, cases []conformance.Case, report *conformance.Report, seen int) {
			canaries, witnessed := 0, 0
			for i, res := range report.Results {
				switch {
				case res.Witness != "":
					witnessed++
					assert.Nil(t, res.Canary, res.ID)
					assert.True(t, cases[i].Hostile, res.ID)
					assert.Equal(t, report.Results[i+1].ID, res.Witness, "the next case witnesses %s", res.ID)
				case res.Canary != nil:
					canaries++
				}
				if cases[i].Hostile && i+1 < len(cases) && !cases[i+1].Hostile {
					assert.NotEmpty(t, res.Witness, "%s is followed by a witness", res.ID)
				}
			}
			assert.Positive(t, witnessed)
			assert.Equal(t, requests(report)+canaries+1, seen, "the cases' requests, the canaries sent and the probe")
		}},
		{"dies after answering", "^reject/", "dies", blamed("connection refused")},
		{"answers 500 to everything after answering", "^reject/", "breaks", blamed("500")},
		{"refuses everything after answering", "^reject/", "refuses", blamed("400")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := conformance.Config{Target: mockprovider.Target{Provider: schemas.InnoPaaS}, Run: tt.run}
			cases, err := conformance.Cases(cfg)
			require.NoError(t, err)
			kill := string(cases[killer(t, cases)].Requests[0].Body)
			var seen atomic.Int64
			srv := start(t, func(srv *httptest.Server) http.Handler {
				ref := reference()
				var broken atomic.Int32 // the status it answers everything with, once broken
				return counting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if code := broken.Load(); code != 0 {
						w.WriteHeader(int(code))
						return
					}
					body := peek(r)
					if string(body) == kill && tt.after == "dies" {
						dieAnswering(t, srv, w, r, ref)
						return
					}
					ref.ServeHTTP(w, r)
					if string(body) != kill {
						return
					}
					switch tt.after {
					case "breaks":
						broken.Store(http.StatusInternalServerError)
					case "refuses":
						broken.Store(http.StatusBadRequest)
					}
				}), &seen)
			})
			cfg.Target.URL = srv.URL
			tt.check(t, cases, execute(t, cfg), int(seen.Load()))
		})
	}
}

// TestWitnessesBesideHungCases: cases of a type the receiver hangs on may still be timing out when a
// hostile case and its witness run; their timeouts must not decide the hostile case in the witness's
// place, so the witnesses are the same one case at a time and eight.
func TestWitnessesBesideHungCases(t *testing.T) {
	newReceiver := func() http.Handler {
		ref := reference()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch messageType(peek(r)) {
			case "document":
				<-r.Context().Done()
				return
			case "reaction":
				// The type after text, the first of each tolerate mutation (its hostile case): a slow
				// witness, answered within the timeout, while a document case times out beside it.
				time.Sleep(250 * time.Millisecond)
			}
			ref.ServeHTTP(w, r)
		})
	}
	var reports []*conformance.Report
	for _, n := range []int{1, 8} {
		srv := serve(t, newReceiver())
		reports = append(reports, execute(t, conformance.Config{
			Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS, Timeout: 400 * time.Millisecond},
			Run:    "^tolerate/", Concurrency: n, Seed: 5,
		}))
	}
	require.Equal(t, len(reports[0].Results), len(reports[1].Results))
	witnessed := 0
	for i, a := range reports[0].Results {
		b := reports[1].Results[i]
		assert.Equal(t, a.Witness, b.Witness, a.ID)
		assert.Equal(t, a.Outcome, b.Outcome, a.ID)
		if a.Witness != "" {
			witnessed++
		}
	}
	assert.Positive(t, witnessed)
}
