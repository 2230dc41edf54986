// Package conformance is a test suite for a webhook receiver: it POSTs everything an inbound WhatsApp
// provider can send (every message type, every documented example, the legitimate oddities) and what
// it should never send (broken JSON, missing fields, hostile bodies), as the provider would, and checks
// how the receiver answers.
//
// The suite is data: Cases returns every case with the bytes and headers it sends and the answer it
// expects, built from the generator, the mutation catalogue and the documented fixtures with one run
// seed, so the same seed sends the same bytes. Each case has a stable id, group/provider/name, such as
// reject/innopaas/invalid-json. The groups:
//
//   - valid: generated messages of every type of the provider, several variants each; must be acked (2xx).
//   - documented: every example of the provider's document, its quirks included, with fresh ids and
//     times; must be acked.
//   - tolerate: what the provider can legitimately send (unknown fields and message types, other event
//     types, 16 KiB texts, 64 KiB contact lists, escaped Unicode, ...); must be acked.
//   - reject: what it should never send (broken JSON, wrong types, missing required fields, hostile
//     bodies); must never get a 5xx or a timeout, and in the Strict profile must get a 4xx.
//   - delivery: a retry of identical bytes, a burst of 50 concurrent deliveries, a customer's message
//     older than the one they sent before it; all must be acked within the timeout.
//   - auth: only with credentials: a request without them or with wrong ones must get 401 or 403.
//
// After every hostile case, the case after it (its witness, run alone) or, when that one does not get
// the answer it expects, a canary (a plain text message with a fresh id) checks that the receiver is
// still alive; so does a canary after any case that got no HTTP answer. A receiver that died or
// wedged fails the case that killed it, even when it answered that case, and the cases after it are
// skipped.
//
// The CLI (wahook conform) and Go tests share one runner. A Go receiver gets the whole suite inside go
// test:
//
//	func TestWebhookConformance(t *testing.T) {
//		srv := httptest.NewServer(myapp.WebhookHandler())
//		defer srv.Close()
//		conformance.Run(t, conformance.Config{Target: srv.URL, Provider: schemas.InnoPaaS, Profile: conformance.Strict})
//	}
//
// Each case runs as a subtest named by its id, so go test -run 'TestWebhookConformance/reject/' picks
// a group. Execute runs the suite outside a test and returns a Report.
package conformance
