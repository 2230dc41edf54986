package schemas_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/schemas"
)

// benchPayloads are every valid documented payload of a provider: the mix a receiver sees.
func benchPayloads(b *testing.B, p schemas.Provider) [][]byte {
	var out [][]byte
	for _, f := range fixtures.Documented(p) {
		out = append(out, f.Bytes())
	}
	if len(out) == 0 {
		b.Fatalf("no fixtures for %s", p)
	}
	return out
}

func bytesOf(payloads [][]byte) int64 {
	var n int
	for _, p := range payloads {
		n += len(p)
	}
	return int64(n / len(payloads))
}

// BenchmarkDecode is the baseline BenchmarkValidate is judged against: encoding/json into any, same bytes.
func BenchmarkDecode(b *testing.B) {
	for _, p := range schemas.Providers() {
		b.Run(string(p), func(b *testing.B) {
			payloads := benchPayloads(b, p)
			b.SetBytes(bytesOf(payloads))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				var doc any
				if err := json.Unmarshal(payloads[i%len(payloads)], &doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, strict := range []bool{false, true} {
		v, err := schemas.New(schemas.Options{Strict: strict})
		if err != nil {
			b.Fatal(err)
		}
		mode := map[bool]string{false: "", true: "-strict"}[strict]
		for _, p := range schemas.Providers() {
			b.Run(string(p)+mode, func(b *testing.B) {
				payloads := benchPayloads(b, p)
				b.SetBytes(bytesOf(payloads))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					r, err := v.Validate(p, payloads[i%len(payloads)])
					if err != nil || !r.Valid() {
						b.Fatal(err, r)
					}
				}
			})
		}
	}
}

// BenchmarkValidateWide measures the payloads bounded validation is for: 3 MB of empty contact cards
// (a million violations; checking stops at the cap) and an object with 100,000 undocumented keys in
// strict mode. Before it, they took 8 s with 1 GB resident and minutes.
func BenchmarkValidateWide(b *testing.B) {
	inno := string(fixtures.ForType(schemas.InnoPaaS, "contacts")[0].Bytes())
	i, j := strings.Index(inno, `"contact": [`), strings.Index(inno, `"customerProfile"`)
	cards := []byte(inno[:i] + `"contact": [` + strings.Repeat("{},", 999_999) + "{}], " + inno[j:])

	itnio := string(fixtures.ForType(schemas.ITNIOTech, "text")[0].Bytes())
	var keys strings.Builder
	for k := range 100_000 {
		fmt.Fprintf(&keys, `"x%d": 1, `, k)
	}
	wideText := []byte(strings.Replace(itnio, `"body": "prime time"`, keys.String()+`"body": "prime time"`, 1))

	for _, tc := range []struct {
		name    string
		strict  bool
		p       schemas.Provider
		payload []byte
	}{
		{"innopaas-1M-empty-cards", false, schemas.InnoPaaS, cards},
		{"itniotech-strict-100k-keys", true, schemas.ITNIOTech, wideText},
	} {
		v, err := schemas.New(schemas.Options{Strict: tc.strict})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.payload)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := v.Validate(tc.p, tc.payload)
				if err != nil || r.Valid() {
					b.Fatal(err, r)
				}
			}
		})
	}
}
