package mockprovider_test

import (
	"bufio"
	"encoding/json"
	"io"
	"testing"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/wahook/wahook/mockprovider"
)

// BenchmarkGenerate measures one payload of each provider and type.
func BenchmarkGenerate(b *testing.B) {
	g, err := mockprovider.New(mockprovider.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range mockprovider.Providers() {
		for _, typ := range p.Types() {
			b.Run(string(p.Name)+"/"+typ, func(b *testing.B) {
				b.ReportAllocs()
				var bytes int
				for i := uint64(0); b.Loop(); i++ {
					pl, err := g.Generate(p.Name, typ, i)
					if err != nil {
						b.Fatal(err)
					}
					bytes += len(pl.Body)
				}
				b.ReportMetric(float64(bytes)/float64(b.N), "B/payload")
			})
		}
	}
}

// BenchmarkBaseline is the yardstick of the generator's cost: gofakeit name, phone and sentence in a
// struct, encoded with encoding/json through a bufio.Writer.
func BenchmarkBaseline(b *testing.B) {
	type line struct {
		Name     string `json:"name"`
		Phone    string `json:"phone"`
		Sentence string `json:"sentence"`
	}
	f := gofakeit.New(1)
	w := bufio.NewWriter(io.Discard)
	enc := json.NewEncoder(w)
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(line{f.Name(), f.Phone(), f.Sentence(10)}); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
}

// BenchmarkAppendGenerate is generation the way wahook send and gen use it: the bytes only, written
// into one reused buffer, every type of the provider in turn.
func BenchmarkAppendGenerate(b *testing.B) {
	g, err := mockprovider.New(mockprovider.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range mockprovider.Providers() {
		b.Run(string(p.Name), func(b *testing.B) {
			types := p.Types()
			var buf []byte
			b.ReportAllocs()
			for i := uint64(0); b.Loop(); i++ {
				if buf, _, err = g.AppendGenerate(buf[:0], p.Name, types[i%uint64(len(types))], i); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
