package conformance_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestDeepVerification: a receiver that answers 200 and stores the wrong thing passes the
// status-only suite and fails the deep one, by the field it gets wrong, whichever way it reports what
// it understood; naming the field in Ignore passes it again.
func TestDeepVerification(t *testing.T) {
	p := schemas.ITNIOTech
	tests := []struct {
		name    string
		ackBody bool
		config  func(cfg *conformance.Config, rec *hooktest.Misreader, url string)
		deep    bool
	}{
		{"status only", false, func(*conformance.Config, *hooktest.Misreader, string) {}, false},
		{"ack body", true, func(*conformance.Config, *hooktest.Misreader, string) {}, true},
		{"inspect URL", false, func(cfg *conformance.Config, _ *hooktest.Misreader, url string) {
			cfg.InspectURL = url + "/inspect/{id}"
		}, true},
		{"inspect func", false, func(cfg *conformance.Config, rec *hooktest.Misreader, _ string) { cfg.Inspect = rec.Inspect }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &hooktest.Misreader{Provider: p, Spoil: hooktest.DropCaptions, AckBody: tt.ackBody}
			srv := serve(t, rec)
			cfg := conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: p}, Run: "^(valid|documented)/"}
			tt.config(&cfg, rec, srv.URL)
			report := execute(t, cfg)
			if !tt.deep {
				assert.Zero(t, report.Summary.Failed, "status alone cannot see the bug: %v", report.Failures())
				return
			}
			failed := map[string]conformance.Result{}
			for _, res := range report.Failures() {
				failed[res.ID] = res
			}
			require.Contains(t, failed, "documented/itniotech/image")
			res := failed["documented/itniotech/image"]
			require.Len(t, res.Misread, 1)
			assert.Regexp(t, `^/media/caption: sent ".+", receiver has nothing$`, res.Misread[0])
			assert.Contains(t, res.Reason, "acknowledged, but the receiver misread 1 field: /media/caption")
			assert.Contains(t, report.Details(res), "misread:   /media/caption: sent ")
			assert.NotContains(t, failed, "documented/itniotech/text", "a message without a caption is understood")
			assert.NotContains(t, failed, "documented/itniotech/audio", "audio has no caption")

			cfg.Ignore = []string{"/media/caption"}
			rec.Forget()
			report = execute(t, cfg)
			assert.Zero(t, report.Summary.Failed, "%v", report.Failures())
		})
	}
}

func TestInspectConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  conformance.Config
		want string
	}{
		{"no placeholder", conformance.Config{InspectURL: "http://127.0.0.1:1/inspect"}, "InspectURL: \"http://127.0.0.1:1/inspect\" has no {id} placeholder"},
		{"not http", conformance.Config{InspectURL: "ftp://x/{id}"}, "scheme must be http or https"},
		{"bad ignore", conformance.Config{Ignore: []string{"media/caption"}}, "Ignore: \"media/caption\": want a JSON pointer"},
		{"negative timeout", conformance.Config{InspectTimeout: -1}, "InspectTimeout: negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Target = mockprovider.Target{URL: "http://127.0.0.1:1/hook", Provider: schemas.ITNIOTech}
			_, err := conformance.Execute(t.Context(), tt.cfg, nil)
			require.ErrorIs(t, err, conformance.ErrBadConfig)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestEquivalent: with Equivalent, each message the providers share goes out in both formats; the
// reference receiver understands them alike, and a receiver that reads one provider's latitude
// wrongly fails the equivalent case by that field, the other provider's reading beside it.
func TestEquivalent(t *testing.T) {
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			srv := serve(t, reference())
			cfg := conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: p}, Run: "^equivalent/", Equivalent: true}
			report := execute(t, cfg)
			prov, err := mockprovider.Lookup(p)
			require.NoError(t, err)
			shared := 0
			for _, typ := range mockprovider.SameMessageTypes() {
				if slices.Contains(prov.Types(), typ) {
					shared++
				}
			}
			assert.Equal(t, shared, report.Summary.Total, "one case per type it shares")
			assert.Zero(t, report.Summary.Failed, "%v", report.Failures())

			rec := &hooktest.Misreader{Provider: schemas.Auto, AckBody: true, Spoil: func(m *message.Message) {
				if m.Provider == string(schemas.ITNIOTech) && m.Location != nil {
					m.Location.Latitude = math.Trunc(m.Location.Latitude)
				}
			}}
			cfg.Target.URL = serve(t, rec).URL
			report = execute(t, cfg)
			failed := report.Failures()
			require.Len(t, failed, 1, "%v", failed)
			assert.Equal(t, "equivalent/"+string(p)+"/location", failed[0].ID)
			var lines []string
			for _, l := range failed[0].Misread {
				if strings.Contains(l, "understood") {
					lines = append(lines, l)
				}
			}
			// One line per provider whose reading differs: ITNIO Tech's from every other's, the
			// others' from ITNIO Tech's alone.
			want := 1
			if p == schemas.ITNIOTech {
				want = len(schemas.Providers()) - 1
			}
			require.Len(t, lines, want, "%v", failed[0].Misread)
			for _, l := range lines {
				assert.Regexp(t, `^/location/latitude: understood -?[\d.]+ from `+string(p)+`, -?[\d.]+ from \w+$`, l)
			}
		})
	}
	cases, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: schemas.ITNIOTech}})
	require.NoError(t, err)
	for _, c := range cases {
		assert.NotEqual(t, conformance.GroupEquivalent, c.Group, "the group runs only when asked for")
	}
}
