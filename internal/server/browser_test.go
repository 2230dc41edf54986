package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/jsonrecord"
	"github.com/wahook/wahook/internal/server"
)

var update = flag.Bool("update", false, "rewrite docs/serve-page.png from the browser test")

// browser starts headless Chromium for the test, sized width×height, and returns a context to
// drive it with; the test is skipped, saying so, when there is none.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("SKIPPED, not passed: no chromium on PATH (.ci/run installs Debian's chromium; apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first call starts the browser and must not carry a timeout, which would stop it.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// eval runs js in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, "%s", js)
	return v
}

// until waits until js is true in the page.
func until(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "waiting for %s", js)
}

// hostileAnswer is what the receiver of the browser test answers: markup that would run script if
// the page ever made it markup.
const hostileAnswer = `{"ok":true,"note":"<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">"}`

// TestPageInBrowser drives the page in headless Chromium as a person would: fill the form, send to
// a receiver, watch the rows come, open a delivery and hold what it shows to what the receiver got,
// resend it and see the same bytes arrive again; the receiver's hostile answer runs nothing. With
// -update it writes the README's screenshot, docs/serve-page.png.
func TestPageInBrowser(t *testing.T) {
	ctx := browser(t, 1500, 1000)
	rec := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Hostile", `<img src=x onerror="window.pwned=3">`)
		_, _ = w.Write([]byte(hostileAnswer))
	})
	srv := start(t, server.Options{})
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL())))
	until(t, ctx, `document.querySelectorAll("#f-mutation option").length > 100`)

	// The form, filled as a person would.
	fill := func(id, value string) {
		eval[any](t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q;
			e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return 0; })()`, id, value))
	}
	fill("f-target", rec.URL+"/hook")
	fill("f-provider", "innopaas")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("#f-alltypes"))))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#f-typelist input[value="text"]`))))
	fill("f-mutsearch", "wrong-type.body.from")
	assert.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll("#f-mutation option").length`), "the search leaves none and the one mutation")
	fill("f-mutation", "wrong-type.body.from")
	assert.Contains(t, eval[string](t, ctx, `document.getElementById("f-mutdesc").textContent`), "give /body/from a JSON boolean instead of string")
	fill("f-count", "2")
	fill("f-authuser", "acme")
	fill("f-authtoken", "Bearer s3cret")
	fill("f-headers", "X-Env: dev")
	fill("f-retries", "none")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("#f-go"))))
	until(t, ctx, `document.querySelectorAll("#rows .row.acked").length === 2`)
	assert.Equal(t, "started send-1", eval[string](t, ctx, `document.getElementById("f-status").textContent`))
	assert.Equal(t, rec.URL+"/hook", eval[string](t, ctx, `localStorage.getItem("wahook.form") && JSON.parse(localStorage.getItem("wahook.form")).target`), "the target is remembered")
	rowText := eval[string](t, ctx, `document.querySelector("#rows .row").textContent`)
	assert.Contains(t, rowText, rec.URL+"/hook", "a row shows the target")
	assert.Contains(t, rowText, "wrong-type.body.from", "and the mutation")

	// The newest delivery, opened.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#rows .row"))))
	until(t, ctx, `!document.getElementById("detail").hidden && document.querySelectorAll("#d-attempts .attempt").length === 1`)
	hits := rec.Hits()
	require.Len(t, hits, 2)
	id := eval[string](t, ctx, `document.querySelector("#d-facts dd").textContent`)
	sent := slices.IndexFunc(hits, func(h hit) bool { return bytes.Contains(h.Body, []byte(`"`+id+`"`)) })
	require.GreaterOrEqual(t, sent, 0, "the receiver got delivery %s", id)
	got := hits[sent]

	shown := eval[string](t, ctx, `document.getElementById("d-body").textContent`)
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, []byte(shown)), "the body, laid out: %s", shown)
	assert.Equal(t, string(got.Body), compact.String(), "the body shown is the one sent, token for token")
	var doc any
	require.NoError(t, json.Unmarshal(got.Body, &doc))
	from, err := jsonpointer.Get(doc, "/body/from")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(from), eval[string](t, ctx, `document.querySelector("#d-body mark").textContent`), "the mutated pointer is marked")

	headers := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("#d-reqheaders tr")].map(tr => [tr.children[0].textContent, tr.children[1].textContent]))`)
	assert.Equal(t, "••••••", headers["UserName"], "credentials masked")
	assert.Equal(t, "••••••", headers["Authorization"])
	for _, name := range []string{"User-Agent", "Content-Type", "X-Env"} {
		assert.Equal(t, got.Header.Get(name), headers[name], "%s as the receiver got it", name)
	}
	assert.Equal(t, fmt.Sprint(len(got.Body)), headers["Content-Length"])
	assert.NotContains(t, eval[string](t, ctx, `document.body.textContent`), "s3cret", "the token is nowhere on the page")

	answer := eval[string](t, ctx, `document.querySelector("#d-attempts pre.answer").textContent`)
	assert.Equal(t, hostileAnswer, answer, "the answer, as text")
	assert.Contains(t, eval[string](t, ctx, `document.getElementById("d-attempts").textContent`), `<img src=x onerror="window.pwned=3">`, "the answer's headers, as text")
	assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll("main img, main script").length`), "no element came from the answer")
	assert.Equal(t, "undefined", eval[string](t, ctx, `typeof window.pwned`), "no script from the answer ran")
	assert.Contains(t, eval[string](t, ctx, `document.getElementById("d-cmd-curl").textContent`), `"$WAHOOK_AUTH_TOKEN"`)
	assert.Contains(t, eval[string](t, ctx, `document.getElementById("d-schedule").textContent`), "200")

	// Resend: a third delivery, the same bytes.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("#d-resend"))))
	until(t, ctx, `document.querySelectorAll("#rows .row.acked").length === 3`)
	assert.Contains(t, eval[string](t, ctx, `document.getElementById("d-note").textContent`), "resent as send-2")
	hits = rec.Hits()
	require.Len(t, hits, 3)
	assert.Equal(t, got.Body, hits[2].Body, "resend sends the same bytes")
	assert.Equal(t, got.Header, hits[2].Header, "and the same headers")
	assert.Contains(t, eval[string](t, ctx, `document.querySelector("#rows .row").textContent`), "send-2")

	// Filters: the run narrows the list to the resend.
	fill("q-run", "send-2")
	assert.Equal(t, 1, eval[int](t, ctx, `[...document.querySelectorAll("#rows .row")].filter(r => !r.hidden).length`))
	fill("q-run", "")
	assert.Equal(t, "undefined", eval[string](t, ctx, `typeof window.pwned`))

	if *update {
		// A failing delivery waiting for its retry, so that the picture shows a countdown too.
		failing := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"database is down"}`))
		})
		startRun(t, client(t), srv, map[string]any{"target": failing.URL + "/hook", "provider": "itniotech", "types": []string{"location", "image"}})
		until(t, ctx, `document.querySelectorAll("#rows .row.waiting").length === 2`)
		// A click on the row's first cell: the row is wider than the list beside the open detail.
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#rows .row.waiting > span"))))
		until(t, ctx, `document.querySelector("#d-schedule .due") !== null`)
		eval[any](t, ctx, `window.scrollTo(0, 0), 0`)
		time.Sleep(300 * time.Millisecond)
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("../../docs/serve-page.png", shot, 0o644))
	}

	// A phone's width: the page lays out in one column, nothing wider than the screen.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)))
	until(t, ctx, `window.innerWidth === 390`)
	assert.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 390, "no sideways scrolling at phone width")
}

// TestPagePerformance measures the page with a full history (server.DefaultRingSize deliveries): the
// first render, and live updates of one new delivery and of a hundred changed ones, in headless
// Chromium. It prints the figures; it asserts only that the page shows what it was sent.
func TestPagePerformance(t *testing.T) {
	ctx := browser(t, 1400, 900)
	srv := start(t, server.Options{})
	n := server.DefaultRingSize
	record := func(i int) server.Record {
		outcome, status := delivery.Acked, 200
		if i%7 == 0 {
			outcome, status = delivery.Failed, 500
		}
		return server.Record{
			Run: fmt.Sprintf("send-%d", 1+i/100), Time: time.Now(), Provider: []string{"innopaas", "itniotech"}[i%2], Status: status, LatencyMs: 1.25,
			Target: "http://127.0.0.1:8080/webhook", Mutation: []string{"", "wrong-type.body.from"}[i%3%2],
			Result: jsonrecord.Result{
				Delivery: i, Index: i, ID: fmt.Sprintf("wamid.%032d", i), Type: []string{"text", "image", "location"}[i%3], Outcome: outcome,
				Attempts: []jsonrecord.Attempt{{Attempt: 1, Start: time.Now(), LatencyMs: 1.25, Status: status, Body: `{"ok":true}`, Error: map[bool]string{true: "500 Internal Server Error"}[status == 500]}},
			},
		}
	}
	for i := range n {
		srv.AddRecord(record(i))
	}
	var first, whole, loaded []float64
	for range 5 {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL())))
		until(t, ctx, fmt.Sprintf(`window.wahookStats.rows === %d && window.wahookStats.wholeListMs >= 0`, n))
		first = append(first, eval[float64](t, ctx, `window.wahookStats.firstRenderMs`))
		whole = append(whole, eval[float64](t, ctx, `window.wahookStats.wholeListMs`))
		loaded = append(loaded, eval[float64](t, ctx, `window.wahookStats.firstRenderAt`))
	}
	assert.Equal(t, n, eval[int](t, ctx, `document.querySelectorAll("#rows .row").length`))

	added := n
	measure := func(batch int) []float64 {
		var out []float64
		for range 10 {
			before := eval[int](t, ctx, `window.wahookStats.updates`)
			var last server.Record
			for range batch {
				last = srv.AddRecord(record(added))
				added++
			}
			until(t, ctx, fmt.Sprintf(`window.wahookStats.updates > %d && document.querySelector("#rows .row").dataset.seq === "%d"`, before, last.Seq))
			out = append(out, eval[float64](t, ctx, `window.wahookStats.lastUpdateMs`))
		}
		return out
	}
	one, hundred := measure(1), measure(100)
	assert.Equal(t, n, eval[int](t, ctx, `document.querySelectorAll("#rows .row").length`), "the history's bound holds on the page")
	t.Logf("%d deliveries: first render median %.1f ms, max %.1f ms (decoding the first update, the first screen of rows, layout; 5 loads: %.1f); shown a median %.0f ms after navigation began",
		n, median(first), slices.Max(first), first, median(loaded))
	t.Logf("the whole list of %d rows, the rest put in a chunk a frame: median %.0f ms, max %.0f ms after the update came", n, median(whole), slices.Max(whole))
	t.Logf("live update, 1 new delivery: median %.1f ms, max %.1f ms (10 updates)", median(one), slices.Max(one))
	t.Logf("live update, 100 new deliveries: median %.1f ms, max %.1f ms (10 updates)", median(hundred), slices.Max(hundred))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
