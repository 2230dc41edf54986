package schemas_test

import (
	"encoding/json"
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
